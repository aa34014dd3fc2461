// spawn(): failures are reported, and Pipe() ends join parent and child directly.
import { describe, expect, it } from 'vitest';
import { firstValueFrom, toArray } from 'rxjs';
import {
  ChildProcessError, connect, Hub, InvalidArgumentError, PeerGoneError, Pipe, PipeBusyError, spawn,
} from 'hostbus';
import { memoryHub } from 'hostbus/testing';
import { tempDir, workers } from '../helpers.js';

describe('spawn', () => {
  it('reports a child that throws, with its message', async () => {
    const child = spawn(workers, 'fail', ['boom in the child'], { stdio: 'pipe' });
    const err = await child.join().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChildProcessError);
    expect((err as Error).message).toMatch(/threw Error: boom in the child/);
    expect(child.exitCode).toBe(1);
  });

  it('reports a child that exits with a non-zero code', async () => {
    const child = spawn(workers, 'exitWith', [3], { stdio: 'pipe' });
    await expect(child.join()).rejects.toThrow(/exited with code 3/);
  });

  it('reports a missing export', async () => {
    const child = spawn(workers, 'noSuchFunction', [], { stdio: 'pipe' });
    await expect(child.join()).rejects.toThrow(/no exported function 'noSuchFunction'/);
  });

  it('joins parent and child with a direct pipe: values go both ways', async () => {
    const [here, there] = Pipe<unknown>();
    const child = spawn(workers, 'echo', [there]);
    const replies = firstValueFrom(here.recv().pipe(toArray()));
    const sent = [1, 'two', { three: [3] }, null];
    for (const v of sent) await here.send(v);
    await here.end();
    expect(await replies).toEqual(sent);
    await child.join();
  });

  it('a direct pipe whose peer dies gives ERR_PEER_GONE after what it sent', async () => {
    const [here, there] = Pipe<number>();
    const child = spawn(workers, 'sendThenDie', [there, 3]);
    const got: number[] = [];
    const err = await new Promise<unknown>((resolve) => {
      here.recv().subscribe({ next: (v) => got.push(v), error: resolve, complete: () => resolve('completed') });
    });
    expect(got).toEqual([0, 1, 2]);
    expect(err).toBeInstanceOf(PeerGoneError);
    await expect(child.join()).rejects.toThrow(/SIGKILL/);
  });

  it('refuses handles that cannot cross: a used Pipe() end, a named pipe end, an in-memory hub', async () => {
    const [a, b] = Pipe<number>();
    void a.send(1); // connects the pair in memory
    expect(() => spawn(workers, 'echo', [b])).toThrow(PipeBusyError);

    const { connect: connectMemory } = memoryHub();
    const memoryBus = connectMemory();
    expect(() => spawn(workers, 'sendNumbers', [memoryBus.queue('q'), 1])).toThrow(InvalidArgumentError);
    memoryBus.destroy();

    const tmp = await tempDir();
    const hub = await Hub.listen(tmp.sock('hub'));
    const bus = await connect(hub.address!);
    expect(() => spawn(workers, 'echo', [bus.pipe('named')])).toThrow(/pass the pipe's name/);
    await bus.close();
    await hub.close();
    expect(await tmp.cleanup()).toEqual([]);
  });

  it('an end handed to a child cannot be used here', () => {
    const [here, there] = Pipe<number>();
    const child = spawn(workers, 'echo', [there]);
    expect(() => there.next(1)).toThrow(PipeBusyError);
    here.complete();
    return child.join();
  });
});
