import { registerHandleKind, type BusLike, type HandleDescriptor } from './handle.js';
import { Queue, type QueueOptions } from './queue.js';

/**
 * Python's `JoinableQueue`: a queue whose hub counts the items put and not yet marked done.
 * `taskDone()` marks one done (call it once per item taken, after processing it); `join()`
 * resolves once every item put so far is done. Across processes, as the queue itself.
 */
export class JoinableQueue<T> extends Queue<T> {
  constructor(bus: BusLike, name: string, options: QueueOptions = {}) {
    super(bus, name, options);
    this.openOptions.joinable = true;
  }

  /**
   * Sends `value`, resolving once the hub holds it and counts it undone, as Python's
   * `JoinableQueue.put` counts it before it returns: a `join()` anywhere after this waits for it.
   * (So each put is a round trip here; `sendAll` pays one for all its values.)
   */
  override send(value: T): Promise<void> {
    return super.send(value).then(() => this.flush());
  }

  /** Python's `put`: the same as `send`. */
  override put(value: T): Promise<void> {
    return this.send(value);
  }

  /**
   * Marks one item done; resolves once the hub counted it. Rejects with ERR_TASK_DONE when every
   * item put was already marked done (Python's `ValueError`). Await it: a rejection not handled
   * ends the process.
   */
  taskDone(): Promise<void> {
    return this.control().request<null>('taskDone').then(() => undefined);
  }

  /**
   * Resolves once every item put on the queue so far has been marked done (at once when none is
   * pending); what this handle sent without waiting (`putNowait`, the Observer side) reaches the
   * hub first.
   */
  async join(): Promise<void> {
    await this.flush();
    await this.control().alone<null>('join');
  }

  /** The handle as plain data, for passing to a child process. */
  override toJSON(): HandleDescriptor {
    return { ...super.toJSON(), $hostbus: 'joinable-queue' };
  }
}

registerHandleKind<JoinableQueue<unknown>>({
  name: 'joinable-queue',
  is: (value): value is JoinableQueue<unknown> => value instanceof JoinableQueue,
  describe: (queue) => queue.toJSON(),
  revive: (d, bus) => new JoinableQueue(bus, String(d.name), (d.options ?? {}) as QueueOptions),
});
