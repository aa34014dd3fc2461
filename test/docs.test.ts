// The docs say what the code does: checked where a test can check it.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../src/errors.js';

const read = (path: string) => readFile(new URL(`../${path}`, import.meta.url), 'utf8');

describe('docs', () => {
  it("the README's quick start is examples/quick-start.ts, which npm test type-checks and runs", async () => {
    const readme = await read('README.md');
    const block = /## Quick start\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    const example = (await read('examples/quick-start.ts')).split('\n').slice(1).join('\n');
    expect(block).toBe(example);
  });

  it('docs/errors.md lists every error code', async () => {
    const page = await read('docs/errors.md');
    for (const code of errorCodes) expect(page).toContain(`| \`${code}\` |`);
  });

  it('the README opens with the two commands for a new machine', async () => {
    const readme = await read('README.md');
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm install && npm test');
  });
});
