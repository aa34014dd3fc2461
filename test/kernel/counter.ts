// The same kind, client side: a handle that adds to a named counter on the hub, pipelined, and
// passes to spawn() by reference. One file; the registration line is at its end.
import { Observable } from 'rxjs';
import { ClosedError, registerHandleKind, type BusLike, type HandleDescriptor, type Port } from 'hostbus';

/** A named counter on the hub: `add(n)` resolves with the total after it, in the order called. */
export class Counter {
  private port: Port | undefined;
  private readonly unsent: string[] = [];
  private readonly waiting: { next: (total: number) => void; fail: (err: Error) => void }[] = [];
  private failure: Error | undefined;

  constructor(private readonly bus: BusLike, readonly name: string) {}

  /** Adds `n`; resolves with the total once the hub applied it. */
  add(n: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.add$(n).subscribe({ next: resolve, error: reject });
    });
  }

  /** Adds `n` on subscribe; emits the total once the hub applied it, then completes. */
  add$(n: number): Observable<number> {
    return new Observable<number>((subscriber) => {
      if (this.failure) return subscriber.error(this.failure);
      this.waiting.push({ next: (total) => { subscriber.next(total); subscriber.complete(); }, fail: (err) => subscriber.error(err) });
      this.unsent.push(JSON.stringify(n));
      this.flush();
    });
  }

  /** Closes this handle's channel; adds still waiting fail with ERR_CLOSED. */
  close(): void {
    this.port?.close();
  }

  /** The handle as plain data, for a child process. */
  toJSON(): HandleDescriptor {
    return { $hostbus: 'counter', address: this.bus.addressSpec(), name: this.name };
  }

  private flush(): void {
    const port = (this.port ??= this.open());
    while (this.unsent.length > 0 && port.state === 'open' && port.credit > 0) port.send(this.unsent.shift()!);
  }

  private open(): Port {
    const port = this.bus.open('counter', this.name, 'add', undefined, {
      credit: () => this.flush(),
      data: (payload, seq) => {
        port.ack(seq);
        port.grant(1);
        this.waiting.shift()?.next(JSON.parse(payload) as number);
      },
      closed: (err) => {
        this.failure = err ?? new ClosedError(`counter '${this.name}' was closed`);
        for (const w of this.waiting.splice(0)) w.fail(this.failure);
      },
    });
    port.grant(64);
    return port;
  }
}

registerHandleKind<Counter>({
  name: 'counter',
  is: (value): value is Counter => value instanceof Counter,
  describe: (counter) => counter.toJSON(),
  revive: (d, bus) => new Counter(bus, String(d.name)),
});
