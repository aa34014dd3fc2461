import { InvalidArgumentError, LimitError, TaskDoneError } from '../../errors.js';
import type { Reply } from '../responder.js';
import type { Channel, ResourceHost } from './resource.js';

/**
 * The task count of a joinable queue (Python's `JoinableQueue`): items stored and not yet marked
 * done, and the `join` requests waiting for that count to reach 0. Each waiting join counts
 * toward its connection's `maxWaiting` on the hub; those of a channel that closes go.
 * On a queue that is not joinable, `done` and `join` are refused.
 */
export class QueueTasks {
  /** Items stored and not yet marked done. */
  unfinished = 0;
  private joins: { port: Channel; reply: Reply }[] = [];

  constructor(private readonly queue: string, readonly joinable: boolean, private readonly host: ResourceHost) {}

  /** An item was stored. */
  put(): void {
    if (this.joinable) this.unfinished++;
  }

  /** `taskDone`: one item is done; ERR_TASK_DONE when none is undone. */
  done(): void {
    if (!this.joinable) throw this.notJoinable('taskDone()');
    if (this.unfinished === 0) {
      throw new TaskDoneError(`taskDone() on queue '${this.queue}' was called more times than items were put on it: call it once per item taken`);
    }
    this.unfinished--;
    this.release();
  }

  /** `n` items were dropped (a shutdown): they count as done. */
  drop(n: number): void {
    if (!this.joinable || n === 0) return;
    this.unfinished = Math.max(0, this.unfinished - n);
    this.release();
  }

  /** `join` on `port`: answered once nothing is undone (at once if nothing is). */
  join(port: Channel, reply: Reply): void {
    if (!this.joinable) throw this.notJoinable('join()');
    if (this.unfinished === 0) return reply.ok(null);
    if (!this.host.wait(port.session.id, 1)) {
      throw new LimitError('this connection has maxWaiting join() calls waiting already: await some first, or raise maxWaiting on the hub');
    }
    this.joins.push({ port, reply });
  }

  /** The control channel `port` closed: its joins wait no more. */
  closed(port: Channel): void {
    if (!this.joins.some((j) => j.port === port)) return;
    const kept: { port: Channel; reply: Reply }[] = [];
    for (const j of this.joins) {
      if (j.port === port) this.host.wait(port.session.id, -1);
      else kept.push(j);
    }
    this.joins = kept;
  }

  private release(): void {
    if (this.unfinished > 0 || this.joins.length === 0) return;
    const joins = this.joins;
    this.joins = [];
    for (const j of joins) {
      this.host.wait(j.port.session.id, -1);
      j.reply.ok(null);
    }
  }

  private notJoinable(what: string): InvalidArgumentError {
    return new InvalidArgumentError(`${what}: queue '${this.queue}' is not joinable; make it with bus.joinableQueue(name)`);
  }
}
