import { describe, expect, it } from 'vitest';
import { firstValueFrom, toArray } from 'rxjs';
import { memoryHub } from '../../src/testing.js';
import { Pipe } from '../../src/channels/pipe.js';

describe('smoke', () => {
  it('queue moves items to a consumer and completes on end', async () => {
    const { connect } = memoryHub();
    const a = connect();
    const b = connect();
    const qa = a.queue<number>('jobs');
    const qb = b.queue<number>('jobs');
    const got = firstValueFrom(qb.recv().pipe(toArray()));
    for (let i = 0; i < 5; i++) await qa.send(i);
    await qa.end();
    expect(await got).toEqual([0, 1, 2, 3, 4]);
    await a.close();
    await b.close();
  });

  it('pipe in memory', async () => {
    const [x, y] = Pipe<string>();
    const got = firstValueFrom(y.recv().pipe(toArray()));
    await x.send('a');
    await x.send('b');
    await x.end();
    expect(await got).toEqual(['a', 'b']);
  });
});
