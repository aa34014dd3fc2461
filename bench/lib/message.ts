// The benchmark's message and the consumer-side tally shared by every framing option.

/** Message number `i`: about 50 bytes of JSON, e.g. {"id":123,"name":"item-123","ok":true,"t":1700000000000}. */
export interface Msg {
  id: number;
  name: string;
  ok: boolean;
  t: number;
}

export function message(i: number): Msg {
  return { id: i, name: `item-${i}`, ok: true, t: 1_700_000_000_000 };
}

/** Average size in bytes of the first `n` messages as NDJSON lines (newline included). */
export function averageLineBytes(n: number): number {
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += Buffer.byteLength(JSON.stringify(message(i))) + 1;
  return bytes / n;
}

/**
 * Counts decoded messages on the consumer side. The clock runs from the first byte seen on the
 * socket ({@link firstByte}) to the `n`th message; the id sum proves every message arrived once.
 */
export class Tally {
  count = 0;
  private idSum = 0;
  private start = 0n;
  private end = 0n;

  constructor(readonly n: number) {}

  firstByte(): void {
    if (this.start === 0n) this.start = process.hrtime.bigint();
  }

  seen(msg: Msg): void {
    this.idSum += msg.id;
    if (++this.count === this.n) this.end = process.hrtime.bigint();
  }

  /** Elapsed milliseconds; throws unless exactly the `n` expected messages arrived. */
  elapsedMs(): number {
    const expected = (this.n * (this.n - 1)) / 2;
    if (this.count !== this.n || this.idSum !== expected) {
      throw new Error(`consumer got ${this.count} messages (id sum ${this.idSum}), expected ${this.n} (id sum ${expected})`);
    }
    return Number(this.end - this.start) / 1e6;
  }
}
