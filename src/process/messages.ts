import type { WireError } from '../errors.js';

/** Parent → child over the IPC channel: what to run. */
export interface StartMessage {
  hostbus: 'start';
  module: string;
  export: string;
  /** Arguments as JSON, with handles replaced by descriptors. */
  args: string;
  /**
   * The source text of the function the parent passed (typed spawn): the child runs the export
   * only if it is a function of this text, else it refuses (DoneMessage.refused).
   */
  source?: string;
}

/** Child → parent over the IPC channel: how the function ended. */
export interface DoneMessage {
  hostbus: 'done';
  error?: WireError & { stack?: string };
  /** The child refused to run the export (not the function the parent passed): `error` says why. */
  refused?: true;
}

/** First extra stdio slot used for the socketpairs of `Pipe()` ends (0-2 are stdio, 3 is IPC). */
export const FIRST_PIPE_FD = 4;
