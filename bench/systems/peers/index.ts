// The peers hostbus is measured against (issue 3, `npm run bench`): every runner of every peer.
//
//   python-mp-queue         queue-small, queue-4x4, queue-4k, slow-consumer-1m, slow-consumer-3m,
//                           queue-put-loop, queue-get-loop, queue-iter
//   python-mp-pipe          pipe-small, queue-4k (4 KiB through the pipe), rtt-child(-p99), pipe-get-loop
//   child-process-json      queue-small, pipe-small, queue-4k, rtt-child(-p99), slow-consumer-1m/-3m
//   child-process-advanced  queue-small, pipe-small, queue-4k, rtt-child(-p99)
//   uds-ndjson-ceiling      queue-small, pipe-small, queue-4k, rtt-child(-p99) = rtt-hub(-p99)
//   uds-raw                 queue-small, pipe-small, queue-4k, slow-consumer-1m/-3m
//   python-mp-manager-lock  lock-uncontended(-p99), lock-handoff: Manager().Lock()
//   python-mp-lock          lock-uncontended(-p99), lock-handoff: mp.Lock() (a futex, no server)
//   python-mp-manager-dict  dict-set-awaited, dict-set-pipelined: Manager().dict(), d[k] = v
//   python-mp-value         value-add-4: mp.Value('i'), with v.get_lock(): v.value += 1
//
// Each runner starts its own processes, measures once and kills whatever is left.
import type { Runner } from '../../lib/runner.js';
import { childProcessRunners } from './child-process.js';
import { pythonRunners } from './python.js';
import { udsRunners } from './uds.js';

export const peerRunners: Runner[] = [...pythonRunners, ...childProcessRunners, ...udsRunners];
