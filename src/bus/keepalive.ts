import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/**
 * Keepalive of one session: after each interval in which nothing arrived it asks for a ping
 * (numbered 1, 2), and after the third such interval in a row it gives up on the peer. What
 * `ping` and `dead` throw is theirs to catch (the session guards them).
 */
export class Keepalive {
  private heard = true;
  private unanswered = 0;
  private readonly timer: Subscription;

  constructor(ms: number, timers: SchedulerLike, ping: (n: number) => void, dead: () => void) {
    const self = this;
    this.timer = timers.schedule(function tick(this: SchedulerAction<undefined>) {
      if (self.heard) {
        self.heard = false;
        self.unanswered = 0;
      } else if (++self.unanswered > 2) {
        return dead();
      } else {
        ping(self.unanswered);
      }
      this.schedule(undefined, ms);
    }, ms);
  }

  /** Something arrived from the peer. */
  heardFrom(): void {
    this.heard = true;
  }

  /** A `pong` arrived. */
  answered(): void {
    this.unanswered = 0;
  }

  /** Stops the timer. */
  stop(): void {
    this.timer.unsubscribe();
  }
}

/** Keepalive interval of a hub or a client on `tcp://` when none is given (ms): a dead peer across a network does not close the connection. */
export const TCP_KEEPALIVE_MS = 15_000;
