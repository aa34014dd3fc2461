import { InvalidArgumentError, ProtocolError } from '../errors.js';
import { preview } from '../bus/frames.js';

/** Encodes a value for the wire; throws InvalidArgumentError for what JSON cannot carry. */
export function encodeValue(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new InvalidArgumentError(`value cannot be sent as JSON (${(err as Error).message}): send plain data`, { cause: err });
  }
  if (json === undefined) {
    throw new InvalidArgumentError(`${typeof value} values cannot be sent: send null, or plain data`);
  }
  return json;
}

/**
 * Decodes JSON text from the wire or an input; throws ProtocolError when it is not JSON, with a
 * message made of `what` (what the text is), a preview of it, and `hint` (what to do).
 */
export function decodeValue<T>(text: string, what: string, hint: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ProtocolError(`${what} is not valid JSON (${preview(text)}): ${hint}`);
  }
}
