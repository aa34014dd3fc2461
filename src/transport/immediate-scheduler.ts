import { asyncScheduler, Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

type Work = () => void;

let queue: Work[] = [];
let pending = false;

function runQueue(): void {
  pending = false;
  const batch = queue;
  queue = [];
  for (let i = 0; i < batch.length; i++) batch[i]!();
}

function enqueue(work: Work): void {
  queue.push(work);
  if (!pending) {
    pending = true;
    setImmediate(runQueue);
  }
}

class ImmediateAction<T> extends Subscription implements SchedulerAction<T> {
  constructor(private readonly work: (this: SchedulerAction<T>, state?: T) => void) {
    super();
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    if (delay > 0) {
      this.add(asyncScheduler.schedule(() => this.run(state), delay));
    } else {
      enqueue(() => this.run(state));
    }
    return this;
  }

  private run(state: T | undefined): void {
    if (!this.closed) this.work.call(this, state);
  }
}

/**
 * Runs work once the event loop has handled the I/O of its current turn (`setImmediate`), all
 * work of one turn in one callback. This is the default scheduler of batched writes: the data,
 * acks and credit that every callback of a turn produces (and the microtasks they start) go out
 * in one write, so a reply and the ack of the request it answers share a packet.
 * Delays above 0 run on `asyncScheduler`.
 */
export const immediateScheduler: SchedulerLike = {
  now: () => Date.now(),
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    return new ImmediateAction<T>(work).schedule(state, delay);
  },
};
