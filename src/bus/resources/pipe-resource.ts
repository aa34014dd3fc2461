import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, PeerGoneError, PipeBusyError } from '../../errors.js';
import type { OpenRequest } from '../session.js';
import type { Kind } from '../kinds.js';
import type { Channel, Resource, ResourceHost } from './resource.js';

interface End {
  port: Channel;
  /** Credit this end's client granted before the other end arrived. */
  held: number;
  ended: boolean;
  endError?: Error | undefined;
  /** Where this end listens for a direct connection (an address, or a list to try in order), if it offered one (`opened` waits for the pair). */
  direct?: string | string[];
}

/** The pipe kind: `k: "pipe"`, role `end`, option `direct`. */
export const pipeKind = {
  name: 'pipe',
  create: (name: string, _open: OpenRequest, host: ResourceHost) => new PipeResource(name, host),
} as const satisfies Kind;

/** Longest `direct` address an end may offer, in characters. */
const MAX_DIRECT = 1024;
/** Most addresses one `direct` offer may list. */
export const MAX_OFFERS = 4;

/**
 * The hub's side of a named pipe: the first two opens are its two ends, and the hub relays
 * between them without parsing payloads. Credit, acks and end pass through end to end, so the hub
 * holds nothing: a sender's credit is exactly what the receiving end granted.
 * When one end goes, the other gets ERR_PEER_GONE (or a clean close, if both directions ended);
 * the name is free again once both have closed.
 *
 * Direct pairs: an end that opens with `{"direct": ADDRESS}` (where it listens, or a list of
 * addresses) gets its `opened`
 * only once the other end is there. If both offered, the first is told to accept a connection
 * bearing a fresh token and the second to connect to the first's address with it; the two then
 * talk over their own socket, and the hub only holds the name until both have left.
 * If only one offered, the hub relays as usual.
 */
export class PipeResource implements Resource {
  readonly kind = 'pipe';
  private readonly ends: End[] = [];
  private broken = false;
  private direct = false;

  constructor(readonly name: string, private readonly host: ResourceHost) {}

  get idle(): boolean {
    return this.ends.length === 0;
  }

  stats() {
    return { ends: this.ends.length, paired: this.ends.length === 2 && !this.broken, direct: this.direct };
  }

  attach(port: Channel, open: OpenRequest): void {
    if (this.ends.length === 2 || this.broken) {
      port.fail(new PipeBusyError(`pipe '${this.name}' already has both ends: use another name for another pipe`));
      return;
    }
    const direct = open.o?.direct;
    const address = (a: unknown) => typeof a === 'string' && a.length > 0 && a.length <= MAX_DIRECT;
    if (direct !== undefined && !(address(direct) || (Array.isArray(direct) && direct.length > 0 && direct.length <= MAX_OFFERS && direct.every(address)))) {
      throw new InvalidArgumentError(`option direct must be an address the end listens at, or a list of 1 to ${MAX_OFFERS} of them (each 1 to ${MAX_DIRECT} characters)`);
    }
    const me: End = { port, held: 0, ended: false };
    if (direct !== undefined) me.direct = direct as string | string[];
    this.ends.push(me);
    port.handler = this.relay(me);
    const other = this.other(me);
    if (other?.direct !== undefined && me.direct !== undefined) return this.pairDirect(other, me);
    if (me.direct === undefined || other) port.opened({ paired: other !== undefined });
    if (other) {
      if (other.direct !== undefined) other.port.opened({ paired: true });
      me.port.grant(other.held);
      other.port.grant(me.held);
      other.held = me.held = 0;
      // An end that ended before this one arrived: its `end` goes out now.
      if (other.ended) me.port.end(other.endError);
    }
  }

  /** The handler of an end's channel while the hub relays: credit, data, acks and end go to the other end as they are. */
  private relay(me: End): NonNullable<Channel['handler']> {
    return {
      credit: (n) => {
        const other = this.other(me);
        if (other) other.port.grant(n);
        else me.held += n;
      },
      data: (payload, _seq, header) => {
        me.port.checkPayload(header === undefined ? payload : payload + header);
        // The other end is there (credit came from it), unless it is just now going away.
        const other = this.other(me);
        if (other?.port.state === 'open') other.port.send(payload, header);
      },
      ack: (ranges) => this.other(me)?.port.ackRanges(ranges),
      end: (err) => {
        me.ended = true;
        me.endError = err;
        this.other(me)?.port.end(err);
      },
      closed: (err) => this.leave(me, err),
    };
  }

  /**
   * Introduces the two ends to each other: they talk over their own socket from now on, and the
   * hub keeps their channels only to hold the name until both have left. An end that could not
   * reach the other falls back to the hub: its first credit or end on its channel makes the hub
   * relay the pair from then on, or fail that end with ERR_PEER_GONE if the other already left.
   */
  private pairDirect(first: End, second: End): void {
    const token = randomUUID();
    this.direct = true;
    for (const end of [first, second]) {
      const relay = this.relay(end);
      const fallBack = (): boolean => {
        if (!this.direct) return true;
        if (!this.other(end)) {
          end.port.fail(new PeerGoneError(`the other end of pipe '${this.name}' went away before the pair fell back to the hub`));
          return false;
        }
        this.direct = false;
        for (const e of this.ends) e.port.handler = this.relay(e);
        // What either end said before the pair was made (credit, an end) goes to the other now.
        const [a, b] = this.ends as [End, End];
        for (const [from, to] of [[a, b], [b, a]] as const) {
          if (from.held > 0) to.port.grant(from.held);
          from.held = 0;
          if (from.ended) to.port.end(from.endError);
        }
        return true;
      };
      // Only credit or an end can come first: nothing was granted or relayed yet, so a data frame
      // is a credit overrun (the port refuses it) and an ack can only be empty (nothing to pass on).
      end.port.handler = {
        credit: (n) => void (fallBack() && relay.credit!(n)),
        end: (err) => void (fallBack() && relay.end!(err)),
        closed: () => this.leave(end, undefined, this.direct),
      };
    }
    first.port.opened({ paired: true, direct: { token, accept: true } });
    second.port.opened({ paired: true, direct: { token, connect: first.direct } });
  }

  private other(me: End): End | undefined {
    if (this.ends.length < 2 || this.broken) return undefined;
    return this.ends[0] === me ? this.ends[1] : this.ends[0];
  }

  private leave(me: End, err: Error | undefined, direct = false): void {
    // A direct pair learns of its peer's going over its own connection.
    const other = direct ? undefined : this.other(me);
    if (this.ends.length === 2) this.broken = true;
    this.ends.splice(this.ends.indexOf(me), 1);
    if (other) {
      if (!err && me.ended && other.ended) other.port.close();
      else other.port.fail(new PeerGoneError(`the other end of pipe '${this.name}' went away` + (err ? `: ${err.message}` : '')));
    }
    if (this.ends.length === 0) this.broken = this.direct = false;
    this.host.maybeIdle(this);
  }
}
