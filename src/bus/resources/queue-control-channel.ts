import { InvalidArgumentError } from '../../errors.js';
import { Responder } from '../responder.js';
import type { QueueTasks } from './queue-tasks.js';
import type { Channel } from './resource.js';

/** What a queue's control channel asks of the queue. */
export interface ControlledQueue {
  readonly tasks: QueueTasks;
  size(): { queued: number; inflight: number; maxsize: number };
  shutdown(immediate: boolean): void;
}

/**
 * Serves a queue's control channel (role `ctl`): the requests `size`, `taskDone`, `join` and
 * `shutdown` (docs/protocol.md), answered in order by a Responder. Accepts the channel with
 * `info`; `closed` runs when it goes.
 */
export function serveControl(port: Channel, queue: ControlledQueue, info: Record<string, unknown>, closed: () => void): void {
  const responder = new Responder(port, (op, args, reply) => {
    switch (op) {
      case 'size':
        return reply.ok(queue.size());
      case 'taskDone':
        queue.tasks.done();
        return reply.ok(null);
      case 'join':
        return queue.tasks.join(port, reply);
      case 'shutdown': {
        const immediate = typeof args === 'object' && args !== null && (args as { immediate?: unknown }).immediate === true;
        queue.shutdown(immediate);
        return reply.ok(null);
      }
      default:
        throw new InvalidArgumentError(`queue requests are size, taskDone, join and shutdown, not ${JSON.stringify(op)}`);
    }
  });
  port.handler = {
    ...responder.handler,
    closed: () => {
      queue.tasks.closed(port);
      closed();
    },
  };
  port.opened(info);
  responder.start();
}
