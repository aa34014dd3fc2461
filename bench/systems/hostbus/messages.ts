// The messages of the hostbus runners.
import { message, type Msg } from '../../lib/message.js';

export { message, type Msg };

/** Bytes of JSON text of one `queue-4k` message. */
export const BIG_BYTES = 4096;

/** A `queue-4k` message: `{"id":i,"data":"xxx…"}`, exactly {@link BIG_BYTES} bytes of JSON. */
export interface Big {
  id: number;
  data: string;
}

const PAD = 'x'.repeat(BIG_BYTES);

export function big(i: number): Big {
  // {"id":  + digits + ,"data":" + data + "}  =  17 + digits + data bytes
  return { id: i, data: PAD.slice(0, BIG_BYTES - 17 - String(i).length) };
}

/** Messages `from` .. `from + count - 1`. */
export function* small(from: number, count: number): Generator<Msg> {
  for (let i = from; i < from + count; i++) yield message(i);
}

export function* bigs(from: number, count: number): Generator<Big> {
  for (let i = from; i < from + count; i++) yield big(i);
}
