import type { SchedulerLike } from 'rxjs';
import type { Handshake, PeerInfo } from './handshake.js';
import type { Port } from './port.js';
import type { OpenRequest } from './session.js';

/** Options of a session. */
export interface SessionOptions {
  /** What this side is, sent in `hello` (`client`, `hub` or `peer`). */
  role: string;
  /** Scheduler of coalesced flushes (default: the wire's `soon`, else `asapScheduler`). */
  scheduler?: SchedulerLike;
  /** Scheduler of keepalive timers (default `asyncScheduler`). */
  timerScheduler?: SchedulerLike;
  /**
   * Keepalive interval in ms (default 0: off). When on, a ping goes out after each interval in
   * which nothing arrived, and a peer silent for three intervals in a row is dropped with
   * ERR_TIMEOUT.
   */
  keepaliveMs?: number;
  /**
   * Largest number of channels open at once on this session (default 65,536). An open past it
   * fails that channel with ERR_LIMIT; a peer that keeps opening while twice as many are still
   * open or closing gets a session error ERR_LIMIT.
   */
  maxChannels?: number;
  /** What is exchanged before any channel (default: the `hello` of this protocol version). */
  handshake?: Handshake;
  /** The handshake must be done within this many ms, else the session fails with ERR_LIMIT (default: no deadline). */
  helloTimeoutMs?: number;
  /**
   * Whether a peer that vouches for its payloads (`"checked":true` in its hello) is believed, so
   * that its payloads are not checked here (default true). A hub serving peers it does not trust
   * (other users, the network) says false: every payload of theirs is checked.
   */
  trustChecked?: boolean;
  /** Called once the handshake is done, with what it learned of the peer. */
  onReady?: (peer: PeerInfo) => void;
  /** This session's number among its hub's (default 0). */
  id?: number;
  /** Called each time the peer hits a limit of this session, with the name of its option. */
  onLimit?: (limit: 'maxChannels' | 'helloTimeoutMs') => void;
  /** Called with each channel the peer opens; without it, opens are refused. */
  accept?: (port: Port, open: OpenRequest) => void;
  /** Called once when the session is over; `err` unless this side closed it. */
  onClose?: (err?: Error) => void;
}
