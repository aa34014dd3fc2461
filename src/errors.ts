/**
 * Every error hostbus raises, each a class with a stable `code`. Errors cross the wire as
 * `{name, message, code}` and are rebuilt on the other side by {@link errorFromWire}, so
 * `instanceof` and `code` checks work across processes.
 */

/** Base class of every hostbus error. `code` is stable across versions; messages may change. */
export class HostbusError extends Error {
  /** Stable machine-readable code, also what crosses the wire. */
  readonly code: string = 'ERR_HOSTBUS';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

function coded<C extends string>(code: C) {
  return class extends HostbusError {
    static readonly code: C = code;
    override readonly code: C = code;
  };
}

/** The peer broke the protocol: bad JSON, unknown frame, frame for an unknown channel... */
export class ProtocolError extends coded('ERR_PROTOCOL') {}
/** A frame exceeds the line-size limit; raised before writing, or on reading (closes the session). */
export class FrameTooLargeError extends coded('ERR_FRAME_TOO_LARGE') {}
/** A sender exceeded the credit its receiver granted. */
export class CreditOverrunError extends coded('ERR_CREDIT_OVERRUN') {}
/** The connection went away while something was still pending on it. */
export class ConnectionLostError extends coded('ERR_CONNECTION_LOST') {}
/** The peer does not read: more than the write-queue limit waits to be sent to it. */
export class SlowPeerError extends coded('ERR_SLOW_PEER') {}
/** The peer end of a pipe went away (its process died or it closed without ending). */
export class PeerGoneError extends coded('ERR_PEER_GONE') {}
/** The handle, channel, session or hub was closed by this side. */
export class ClosedError extends coded('ERR_CLOSED') {}
/** A timed operation (such as `Queue.get({timeout})`) ran out of time. */
export class TimeoutError extends coded('ERR_TIMEOUT') {}
/** The stream has ended: nothing more may be sent on it. */
export class EndedError extends coded('ERR_ENDED') {}
/** An Observer-side send buffer hit its hard cap. */
export class BufferOverflowError extends coded('ERR_BUFFER_OVERFLOW') {}
/** Authentication failed (authkey mismatch). */
export class AuthError extends coded('ERR_AUTH') {}
/** The peer speaks a protocol version this side does not. */
export class VersionError extends coded('ERR_VERSION') {}
/** A live server already listens at the address. */
export class AddressInUseError extends coded('ERR_ADDRESS_IN_USE') {}
/** A socket path is longer than the platform allows. */
export class AddressTooLongError extends coded('ERR_ADDRESS_TOO_LONG') {}
/** Nobody listens at the address. */
export class NoHubError extends coded('ERR_NO_HUB') {}
/** An argument is not valid; the message says which and why. */
export class InvalidArgumentError extends coded('ERR_INVALID_ARGUMENT') {}
/** A resource exists with options that differ from the ones given. */
export class OptionsMismatchError extends coded('ERR_OPTIONS_MISMATCH') {}
/** A named pipe already has both of its ends, or a pipe end is already in use. */
export class PipeBusyError extends coded('ERR_PIPE_BUSY') {}
/** A feature this version does not provide yet. */
export class UnsupportedError extends coded('ERR_UNSUPPORTED') {}
/** A child process threw, crashed or exited with a non-zero code. */
export class ChildProcessError extends coded('ERR_CHILD_FAILED') {}
/** An error raised by user code on the other side (for example `source$.error(e)` on a channel). */
export class RemoteError extends coded('ERR_REMOTE') {}
/** A limit of the hub or of a connection was reached (connections, channels, resources, characters held...). */
export class LimitError extends coded('ERR_LIMIT') {}
/** A hub is alive but cannot take the connection now (its queue of pending connections is full). */
export class HubBusyError extends coded('ERR_HUB_BUSY') {}
/** The queue was shut down (Python's `queue.ShutDown`): puts are refused, and gets once it is empty. */
export class ShutDownError extends coded('ERR_SHUTDOWN') {}
/** `taskDone()` was called more times than items were put on a joinable queue (Python's `ValueError`). */
export class TaskDoneError extends coded('ERR_TASK_DONE') {}
/**
 * A release (or renewal) of a lock or semaphore by a handle that does not hold it: it never
 * acquired it, released it already, or its lease expired.
 */
export class NotOwnerError extends coded('ERR_NOT_OWNER') {}
/**
 * A barrier is broken (Python's `BrokenBarrierError`): a waiting party went away, a wait timed
 * out, or someone called `abort()` or `reset()`. It stays broken until `reset()`.
 */
export class BarrierBrokenError extends coded('ERR_BARRIER_BROKEN') {}
/**
 * What was asked for does not exist: a value or array attached to by name before anyone created
 * it, a dict key that `pop` found missing, a list item that `remove` or `index` did not find.
 */
export class NotFoundError extends coded('ERR_NOT_FOUND') {}
/** A write with `ifRevision` found the resource at another revision: read it again, then retry. */
export class RevisionMismatchError extends coded('ERR_REVISION_MISMATCH') {}
/** A write fenced with a lock's token found a later token already used on the resource: its holder lost the lock. */
export class StaleFenceError extends coded('ERR_STALE_FENCE') {}
/** A watch asked for changes older than the history the hub keeps, or fell that far behind: watch again from a snapshot. */
export class HistoryGoneError extends coded('ERR_HISTORY_GONE') {}

const classes = [
  ProtocolError, FrameTooLargeError, CreditOverrunError, ConnectionLostError, SlowPeerError, PeerGoneError,
  ClosedError, TimeoutError, EndedError, BufferOverflowError, AuthError, VersionError,
  AddressInUseError, AddressTooLongError, NoHubError, InvalidArgumentError, OptionsMismatchError,
  PipeBusyError, UnsupportedError, ChildProcessError, RemoteError, LimitError, HubBusyError,
  ShutDownError, TaskDoneError, NotOwnerError, BarrierBrokenError, NotFoundError, RevisionMismatchError,
  StaleFenceError, HistoryGoneError,
] as const;

const byCode = new Map<string, new (message: string) => HostbusError>(
  classes.map((c) => [c.code, c]),
);

/** Every stable error code, as a list (documented in docs/errors.md). */
export const errorCodes: readonly string[] = classes.map((c) => c.code);

/** What an error looks like on the wire. */
export interface WireError {
  name: string;
  message: string;
  code: string;
}

/** Turns any thrown value into its wire form; non-hostbus errors become `ERR_REMOTE`. */
export function errorToWire(err: unknown): WireError {
  if (err instanceof HostbusError) return { name: err.name, message: err.message, code: err.code };
  if (err instanceof Error) return { name: err.name, message: err.message, code: RemoteError.code };
  return { name: 'Error', message: String(err), code: RemoteError.code };
}

/**
 * Rebuilds an error from its wire form: a known code gives its class; an unknown one gives a
 * {@link RemoteError} that keeps the remote name in its message.
 */
export function errorFromWire(wire: Partial<WireError> | undefined): HostbusError {
  const message = typeof wire?.message === 'string' ? wire.message : 'unknown remote error';
  const name = typeof wire?.name === 'string' ? wire.name : 'Error';
  const Cls = typeof wire?.code === 'string' ? byCode.get(wire.code) : undefined;
  if (Cls && (Cls !== RemoteError || name === RemoteError.name)) return new Cls(message);
  // A plain error of user code (a TypeError, say) keeps its name in the message.
  return new RemoteError(`${name}: ${message}`);
}
