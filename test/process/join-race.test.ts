// join() decides how a child ended only once it has read everything the child sent (issue item 13):
// Node can emit a child's 'exit' before the last messages of its IPC channel, the `done` among them.
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ChildProcessError, spawn, type Process } from 'hostbus';
import { tempDir } from '../helpers.js';

const raceWorkers = fileURLToPath(new URL('../../.build/test/fixtures/join-race-workers.js', import.meta.url));

/** Whether this host has a Linux /proc, which shows whether a child has exited. */
const procfs = existsSync('/proc/self/task');

/**
 * Whether child `pid` has exited and waits to be reaped: its main thread is a zombie and no other
 * thread is left. Only then has the kernel sent this process the SIGCHLD (a multithreaded Node
 * child shows Z while its other threads still end) and would waitpid() return it.
 */
function hasExited(pid: number): boolean {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); // "pid (comm) state ...", comm may hold ')'
  return stat[stat.lastIndexOf(')') + 2] === 'Z' && readdirSync(`/proc/${pid}/task`).length === 1;
}

/**
 * Blocks this thread, event loop included, until child `pid` has exited: what it sent before, and
 * the SIGCHLD of its exit, then wait for the loop together. Polls /proc (no event can tell this
 * while the loop is blocked); fails after 5 s.
 */
function blockUntilExited(pid: number): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 5_000;
  while (!hasExited(pid)) {
    if (Date.now() > deadline) throw new Error(`child ${pid} did not exit within 5 s`);
    Atomics.wait(cell, 0, 0, 1);
  }
}

const ready = (proc: Process) => once(proc.child, 'message').then(([msg]) => expect(msg).toBe('ready'));
const isDone = (msg: unknown) => (msg as { hostbus?: unknown } | null)?.hostbus === 'done';

/**
 * Forces the ordering of the issue. Child `a` sends `done` and exits while this loop is blocked, so
 * one turn of the loop finds both a's message and a SIGCHLD. libuv runs the message callback first
 * and handles signals after the turn's other events; in a's message handler, child `b` sends
 * `done` and exits while the loop is blocked again. The SIGCHLD handler then reaps every exited
 * child, b too: b's 'exit' comes in this turn, and b's `done`, still unread, in the next one.
 * Returns the order in which b's 'exit' and `done` arrived, and how b's join() ended.
 */
async function exitBeforeDone(): Promise<{ order: string[]; joined: unknown }> {
  const a = spawn(raceWorkers, 'returnOnCue', [], { stdio: 'pipe' });
  const b = spawn(raceWorkers, 'returnOnCue', [], { stdio: 'pipe' });
  await Promise.all([ready(a), ready(b)]);
  const order: string[] = [];
  b.child.on('message', (msg) => isDone(msg) && order.push('done'));
  b.child.once('exit', () => order.push('exit'));
  const closed = once(b.child, 'close'); // after every event above
  a.child.on('message', (msg) => {
    if (!isDone(msg)) return;
    b.child.send('go');
    blockUntilExited(b.pid!);
  });
  a.child.send('go');
  blockUntilExited(a.pid!);
  const [joinedA, joined] = await Promise.allSettled([a.join(), b.join(), closed]);
  expect(joinedA).toEqual({ status: 'fulfilled', value: 0 });
  return { order, joined: joined.status === 'fulfilled' ? joined.value : joined.reason };
}

describe('join() and the end of a child', () => {
  it.runIf(procfs)("resolves with 0 for a child whose 'exit' comes before its done message", async () => {
    for (let round = 0; round < 3; round++) {
      const { order, joined } = await exitBeforeDone();
      expect(order, "the test no longer forces 'exit' before done").toEqual(['exit', 'done']);
      expect(joined, `round ${round}`).toBe(0);
    }
  });

  it('rejects once for a child killed by a signal', async () => {
    const child = spawn(raceWorkers, 'returnOnCue', [], { stdio: 'pipe' });
    await ready(child);
    child.kill('SIGKILL');
    await expect(child.join()).rejects.toThrow(/killed by SIGKILL/);
  });

  it('rejects once for a child that exits before it connects its IPC channel', async () => {
    const env = { ...process.env, NODE_OPTIONS: '--no-such-flag' };
    const child = spawn(raceWorkers, 'returnOnCue', [], { stdio: 'pipe', env });
    await expect(child.join()).rejects.toThrow(/exited with code 9/);
  });

  it('rejects once for a child that could not start, however many errors its ChildProcess emits', async () => {
    const tmp = await tempDir();
    const child = spawn(raceWorkers, 'returnOnCue', [], { cwd: join(tmp.dir, 'no-such-folder') });
    const err = await child.join().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChildProcessError);
    expect((err as Error).message).toMatch(/could not start: spawn .* ENOENT/);
    expect(await tmp.cleanup()).toEqual([]);
  });
});
