import { str, ws } from './json-check.js';

/**
 * Where the value of member `key` lies in `text`, valid JSON text whose top level is an object:
 * `[start, end)` of the last such member (as `JSON.parse` keeps the last of duplicate keys), or
 * undefined when there is none. One pass, no recursion and nothing built but the keys, so a value
 * nested any number of levels deep is sliced out as it was written, never re-encoded.
 */
export function memberSpan(text: string, key: string): [number, number] | undefined {
  let found: [number, number] | undefined;
  let i = ws(text, 0) + 1; // past the `{`
  for (;;) {
    i = ws(text, i);
    if (text.charCodeAt(i) !== 34 /* " */) return found; // `}`: the end of the object
    const keyEnd = str(text, i);
    const name = text.slice(i, keyEnd);
    const start = ws(text, ws(text, keyEnd) + 1); // past the `:`
    i = valueEnd(text, start);
    if (name === `"${key}"` || (name.includes('\\') && JSON.parse(name) === key)) found = [start, i];
    i = ws(text, i);
    if (text.charCodeAt(i) !== 44 /* , */) return found;
    i++;
  }
}

/**
 * The index after the JSON value that starts at `i`, if the text there is valid JSON (otherwise
 * some index up to the end: check what it gives with `isJsonText`). No recursion.
 */
export function valueEnd(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 34) {
    const end = str(s, i);
    return end < 0 ? s.length : end;
  }
  if (c !== 123 && c !== 91) {
    // A number, true, false or null: up to the next delimiter.
    for (let d = s.charCodeAt(i); i < s.length && d !== 44 && d !== 125 && d !== 93 && d !== 32 && d !== 9 && d !== 10 && d !== 13; d = s.charCodeAt(++i));
    return i;
  }
  let depth = 0;
  while (i < s.length) {
    const d = s.charCodeAt(i);
    if (d === 34) {
      i = str(s, i);
      if (i < 0) return s.length;
      continue;
    }
    if (d === 123 || d === 91) depth++;
    else if ((d === 125 || d === 93) && --depth === 0) return i + 1;
    i++;
  }
  return i;
}
