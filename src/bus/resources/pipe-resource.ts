import { PeerGoneError, PipeBusyError, ProtocolError } from '../../errors.js';
import { isJsonPayload } from '../json-check.js';
import type { Port } from '../port.js';
import type { OpenRequest } from '../session.js';
import type { Resource, ResourceHost } from './resource.js';

interface End {
  port: Port;
  /** Credit this end's client granted before the other end arrived. */
  held: number;
  ended: boolean;
  endError?: Error | undefined;
}

/**
 * The hub's side of a named pipe: the first two opens are its two ends, and the hub relays
 * between them without parsing payloads. Credit, acks and end pass through end to end, so the hub
 * holds nothing: a sender's credit is exactly what the receiving end granted.
 * When one end goes, the other gets ERR_PEER_GONE (or a clean close, if both directions ended);
 * the name is free again once both have closed.
 */
export class PipeResource implements Resource {
  readonly kind = 'pipe';
  private readonly ends: End[] = [];
  private broken = false;

  constructor(readonly name: string, private readonly host: ResourceHost) {}

  static create(name: string, _open: OpenRequest, host: ResourceHost): PipeResource {
    return new PipeResource(name, host);
  }

  get idle(): boolean {
    return this.ends.length === 0;
  }

  stats() {
    return { ends: this.ends.length, paired: this.ends.length === 2 && !this.broken };
  }

  attach(port: Port): void {
    if (this.ends.length === 2 || this.broken) {
      port.fail(new PipeBusyError(`pipe '${this.name}' already has both ends: use another name for another pipe`));
      return;
    }
    const me: End = { port, held: 0, ended: false };
    this.ends.push(me);
    port.handler = {
      credit: (n) => {
        const other = this.other(me);
        if (other) other.port.grant(n);
        else me.held += n;
      },
      data: (payload) => {
        if (!isJsonPayload(payload)) throw new ProtocolError(`data on pipe '${this.name}' is not valid JSON`);
        me.port.checkPayload(payload);
        this.other(me)!.port.send(payload);
      },
      ack: (ranges) => this.other(me)?.port.ackRanges(ranges),
      end: (err) => {
        me.ended = true;
        me.endError = err;
        this.other(me)?.port.end(err);
      },
      closed: (err) => this.leave(me, err),
    };
    port.opened({ paired: this.ends.length === 2 });
    const other = this.other(me);
    if (other) {
      me.port.grant(other.held);
      other.port.grant(me.held);
      other.held = me.held = 0;
      // An end that ended before this one arrived: its `end` goes out now.
      if (other.ended) me.port.end(other.endError);
    }
  }

  private other(me: End): End | undefined {
    if (this.ends.length < 2 || this.broken) return undefined;
    return this.ends[0] === me ? this.ends[1] : this.ends[0];
  }

  private leave(me: End, err: Error | undefined): void {
    const other = this.other(me);
    if (this.ends.length === 2) this.broken = true;
    this.ends.splice(this.ends.indexOf(me), 1);
    if (other) {
      if (!err && me.ended && other.ended) other.port.close();
      else other.port.fail(new PeerGoneError(`the other end of pipe '${this.name}' went away` + (err ? `: ${err.message}` : '')));
    }
    if (this.ends.length === 0) this.broken = false;
    this.host.maybeIdle(this);
  }
}
