// The contract between the benchmark harness (bench/run.ts) and the systems it measures.

/** Every scenario, with its unit and direction (the JSON in bench/results/latest.json keeps these). */
export const SCENARIOS = {
  'queue-small': { unit: 'msg/s', higherIsBetter: true, about: '1 producer → queue → 1 consumer, ~50-byte JSON messages' },
  'queue-small-tcp': { unit: 'msg/s', higherIsBetter: true, about: 'queue-small with the hub on tcp://127.0.0.1 behind an authkey, every worker connecting over TCP' },
  'queue-4x4': { unit: 'msg/s', higherIsBetter: true, about: '4 producers → one queue → 4 consumers' },
  'pipe-small': { unit: 'msg/s', higherIsBetter: true, about: 'one end → the other, ~50-byte JSON messages' },
  'queue-4k': { unit: 'MB/s', higherIsBetter: true, about: '4 KiB messages through a queue (or the peer\'s closest)' },
  'rtt-child': { unit: 'µs', higherIsBetter: false, about: 'request/reply p50, pipe between a parent and the child it started' },
  'rtt-child-p99': { unit: 'µs', higherIsBetter: false, about: 'same, p99' },
  'rtt-hub': { unit: 'µs', higherIsBetter: false, about: 'request/reply p50, pipe between two processes that met through the hub' },
  'rtt-hub-p99': { unit: 'µs', higherIsBetter: false, about: 'same, p99' },
  'rtt-hub-tcp': { unit: 'µs', higherIsBetter: false, about: 'rtt-hub with the hub on tcp://127.0.0.1 behind an authkey (the hub relays the pipe: no direct link on tcp://)' },
  'rtt-hub-tcp-p99': { unit: 'µs', higherIsBetter: false, about: 'same, p99' },
  'rtt-hub-relay': { unit: 'µs', higherIsBetter: false, about: 'rtt-hub with the pipe relayed by the hub ({ direct: false }) on the Unix socket: the path rtt-hub-tcp takes' },
  'connect-unix': { unit: 'µs', higherIsBetter: false, about: 'p50 of await connect(path) to a hub on a Unix socket without a key (connect + hello), each bus closed after' },
  'connect-unix-p99': { unit: 'µs', higherIsBetter: false, about: 'same, p99' },
  'connect-auth-tcp': { unit: 'µs', higherIsBetter: false, about: 'p50 of await connect(tcp://127.0.0.1:PORT, { authkey }) (TCP connect + HMAC challenge-response both ways + hello), each bus closed after' },
  'connect-auth-tcp-p99': { unit: 'µs', higherIsBetter: false, about: 'same, p99' },
  'slow-consumer-1m': { unit: 'MiB', higherIsBetter: false, about: 'peak RSS of the largest process, 1M messages, consumer sleeps 1 ms every 1,000' },
  'slow-consumer-3m': { unit: 'MiB', higherIsBetter: false, about: 'the same with 3M messages: does memory grow with N?' },
  'channels-1k': { unit: 'msg/s', higherIsBetter: true, about: '1,000 channels on one connection, each moving messages' },
  'queue-put-loop': { unit: 'msg/s', higherIsBetter: true, about: 'queue-small with a producer that awaits each send(m) in turn' },
  'queue-get-loop': { unit: 'msg/s', higherIsBetter: true, about: 'queue-small with a consumer that awaits get() in turn until a null sentinel' },
  'queue-iter': { unit: 'msg/s', higherIsBetter: true, about: 'queue-small with a consumer that is a for await (const m of queue) loop' },
  'pipe-get-loop': { unit: 'msg/s', higherIsBetter: true, about: 'pipe-small with a receiver that awaits end.get() in turn until a null sentinel' },
  'lock-uncontended': { unit: 'µs', higherIsBetter: false, about: 'one process alone on a lock held by the hub: p50 of await acquire() + await release() (two round trips)' },
  'lock-uncontended-p99': { unit: 'µs', higherIsBetter: false, about: 'same, p99' },
  'lock-handoff': { unit: 'acq/s', higherIsBetter: true, about: 'two processes contending for one lock, each looping acquire; release: acquires per second' },
  'dict-set-awaited': { unit: 'ops/s', higherIsBetter: true, about: 'one process, a dict held by the hub (or a Manager dict): a loop of await d.set(key, value), 1,000 keys' },
  'dict-set-pipelined': { unit: 'ops/s', higherIsBetter: true, about: 'the same sets not awaited one by one (batches of 1,024 under Promise.all); Python: its d[k] = v loop' },
  'value-add-4': { unit: 'ops/s', higherIsBetter: true, about: '4 processes, each a loop of await counter.add(1) on one value (Python: with v.get_lock(): v.value += 1)' },
} as const;

export type ScenarioId = keyof typeof SCENARIOS;

/**
 * The one-at-a-time scenarios and the bulk scenario each is the loop form of: the report sets
 * hostbus's loop figure beside hostbus's bulk figure of the same run.
 */
export const BULK_OF: Partial<Record<ScenarioId, ScenarioId>> = {
  'queue-put-loop': 'queue-small',
  'queue-get-loop': 'queue-small',
  'queue-iter': 'queue-small',
  'pipe-get-loop': 'pipe-small',
};

/**
 * The tcp:// scenarios (issue 15) and the Unix-socket scenario each is the counterpart of, with
 * issue 15's target for the ratio tcp / unix where it sets one: the report sets hostbus's tcp
 * figure beside hostbus's Unix-socket figure of the same run.
 */
export const UNIX_OF: Partial<Record<ScenarioId, { scenario: ScenarioId; target?: { atLeast?: number; atMost?: number } }>> = {
  'queue-small-tcp': { scenario: 'queue-small', target: { atLeast: 0.8 } },
  'rtt-hub-tcp': { scenario: 'rtt-hub', target: { atMost: 1.3 } },
  'rtt-hub-tcp-p99': { scenario: 'rtt-hub-p99' },
  'connect-auth-tcp': { scenario: 'connect-unix' },
  'connect-auth-tcp-p99': { scenario: 'connect-unix-p99' },
};

/** The systems, keyed as other tools read them. */
export type SystemId =
  | 'hostbus'
  | 'python-mp-pipe'
  | 'python-mp-queue'
  | 'child-process-json'
  | 'child-process-advanced'
  | 'uds-ndjson-ceiling'
  | 'uds-raw'
  | 'python-mp-manager-lock'
  | 'python-mp-lock'
  | 'python-mp-manager-dict'
  | 'python-mp-value';

/** What one run may use. */
export interface RunContext {
  /** Short run (`--quick`): small message counts, so that everything fits in 60 s. */
  quick: boolean;
  /** A fresh temporary folder for this run's sockets and files; removed by the harness. */
  tmp: string;
}

/**
 * One measurement of one system: the figures of the scenarios it covers (a round trip run gives
 * both `rtt-child` and `rtt-child-p99`), and details worth printing (per-process peak RSS...).
 */
export interface Measurement {
  values: Partial<Record<ScenarioId, number>>;
  details?: Record<string, number>;
}

/**
 * One system in one scenario (or a group of scenarios measured together). `run` starts every
 * process it needs, measures once, stops them all (nothing left running, even on failure), and
 * rejects if anything went wrong (a wrong message count is a failure, not a figure).
 */
export interface Runner {
  system: SystemId;
  /** The scenarios whose figures `run` returns. */
  scenarios: ScenarioId[];
  run(ctx: RunContext): Promise<Measurement>;
  /** A reason this runner cannot run on this machine (python3 missing...), or undefined. */
  unavailable?(): Promise<string | undefined>;
}
