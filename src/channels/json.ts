import { InvalidArgumentError, ProtocolError } from '../errors.js';

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

/** Decodes a payload from the wire; throws ProtocolError when it is not JSON. */
export function decodeValue<T>(payload: string): T {
  try {
    return JSON.parse(payload) as T;
  } catch {
    throw new ProtocolError('received a data frame whose payload is not valid JSON');
  }
}
