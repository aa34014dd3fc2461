// Both ends of one Pipe() handed to two children: they talk over the socketpair directly.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EndedError, Pipe, PipeBusyError, spawn } from 'hostbus';
import type { ReadReport } from '../fixtures/pipe-workers.js';
import { perTestDir, until } from '../helpers.js';

const pipeWorkers = fileURLToPath(new URL('../../.build/test/fixtures/pipe-workers.js', import.meta.url));
const readReport = (file: string): ReadReport => JSON.parse(readFileSync(file, 'utf8')) as ReadReport;

describe('a Pipe() with its ends in two children', () => {
  const tmp = perTestDir();

  it('moves 100,000 values in order from one child to the other', async () => {
    const [a, b] = Pipe<number>();
    const mark = join(tmp.dir, 'started');
    const report = join(tmp.dir, 'report.json');
    const producer = spawn(pipeWorkers, 'sendCount', [a, 100_000, mark]);
    // The producer's session is up and its hello written before the consumer gets the socket:
    // the bytes this process had read of it must reach the consumer too.
    await until(() => existsSync(mark), 20_000, 'the producer to start');
    const consumer = spawn(pipeWorkers, 'getAll', [b, report]);
    await Promise.all([producer.join(), consumer.join()]);
    expect(readReport(report)).toEqual({ count: 100_000, inOrder: true, code: 'ERR_ENDED' });
  }, 60_000);

  it('the ends handed away cannot be used here', async () => {
    const [a, b] = Pipe<number>();
    const report = join(tmp.dir, 'report.json');
    const producer = spawn(pipeWorkers, 'sendCount', [a, 3, join(tmp.dir, 'started')]);
    const consumer = spawn(pipeWorkers, 'getAll', [b, report]);
    await expect(a.send(1)).rejects.toBeInstanceOf(PipeBusyError);
    await expect(b.get()).rejects.toBeInstanceOf(PipeBusyError);
    await expect(b.get()).rejects.toThrow(/make another Pipe\(\)/);
    expect(() => spawn(pipeWorkers, 'getAll', [b, report])).toThrow(PipeBusyError);
    await Promise.all([producer.join(), consumer.join()]);
    expect(readReport(report)).toEqual({ count: 3, inOrder: true, code: 'ERR_ENDED' });
  });

  it('an end used here cannot go to a second child', async () => {
    const [a, b] = Pipe<number>();
    const producer = spawn(pipeWorkers, 'sendCount', [a, 2, join(tmp.dir, 'started')]);
    expect(await b.get()).toBe(0);
    expect(() => spawn(pipeWorkers, 'getAll', [b, join(tmp.dir, 'report.json')])).toThrow(PipeBusyError);
    expect(await b.get()).toBe(1);
    await expect(b.get()).rejects.toBeInstanceOf(EndedError);
    await producer.join();
  });

  it('the reader gets ERR_PEER_GONE, after the values sent, when the sender is killed', async () => {
    const [a, b] = Pipe<number>();
    const report = join(tmp.dir, 'report.json');
    const sender = spawn(pipeWorkers, 'sendThenDie', [a, 50]);
    const reader = spawn(pipeWorkers, 'getAll', [b, report]);
    await expect(sender.join()).rejects.toThrow(/SIGKILL/);
    await reader.join();
    expect(readReport(report)).toEqual({ count: 50, inOrder: true, code: 'ERR_PEER_GONE' });
  });

  it('the sender gets ERR_PEER_GONE when the reader is killed', async () => {
    const [a, b] = Pipe<number>();
    const report = join(tmp.dir, 'report.json');
    const sender = spawn(pipeWorkers, 'sendUntilGone', [a, report]);
    const reader = spawn(pipeWorkers, 'takeThenDie', [b, 10]);
    await expect(reader.join()).rejects.toThrow(/SIGKILL/);
    await sender.join();
    const seen = readReport(report);
    expect(seen.code).toBe('ERR_PEER_GONE');
    expect(seen.count).toBeGreaterThanOrEqual(10);
  });
});
