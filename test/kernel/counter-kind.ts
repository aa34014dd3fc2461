// A kind that is not part of the library, hub side: a named counter that adds the numbers its
// users send and answers each with the new total. One file; registered with `kinds: [counterKind]`.
import { InvalidArgumentError, type Channel, type Kind, type OpenRequest, type Resource, type ResourceHost } from 'hostbus';

/** Answers each user could not take yet (no credit) are bounded by the credit granted to it. */
const WINDOW = 64;

class Counter implements Resource {
  readonly kind = 'counter';
  private total = 0;
  private readonly users = new Set<Channel>();

  constructor(readonly name: string, private readonly host: ResourceHost) {}

  get idle(): boolean {
    return this.users.size === 0;
  }

  stats() {
    return { total: this.total, users: this.users.size };
  }

  attach(channel: Channel, open: OpenRequest): void {
    if (open.r !== 'add') throw new InvalidArgumentError(`a counter's role is "add", not ${JSON.stringify(open.r)}`);
    this.users.add(channel);
    const answers: string[] = [];
    const flush = () => {
      // An answer goes out within the user's credit; each one sent makes room for one more add.
      while (answers.length > 0 && channel.trySend(answers[0]!) > 0) {
        answers.shift();
        channel.grant(1);
      }
    };
    channel.handler = {
      data: (payload, seq) => {
        const n: unknown = JSON.parse(payload);
        if (typeof n !== 'number' || !Number.isFinite(n)) {
          channel.fail(new InvalidArgumentError(`a counter adds finite numbers, not ${payload.slice(0, 40)}`));
          return;
        }
        this.total += n;
        channel.ack(seq);
        answers.push(String(this.total));
        flush();
      },
      credit: flush,
      closed: () => {
        this.users.delete(channel);
        this.host.maybeIdle(this);
      },
    };
    channel.opened({ total: this.total, session: channel.session.id });
    channel.grant(WINDOW);
  }
}

/** The counter kind. */
export const counterKind: Kind = { name: 'counter', create: (name, _open, host) => new Counter(name, host) };
