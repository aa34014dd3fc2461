// CPU per message of batched socket writes by batch size, interleaved rounds in one process.
// Each batch is lines joined as SocketWire joins them, written to a Unix socket whose reader
// discards; the writer waits for 'drain' when write() returns false.
//   npm run build && npx tsc -p tsconfig.json && node .build/bench/write-batch.js
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PAD = 'x'.repeat(4096);
const HEADER = '{"c":1,"d":';
const kinds: [string, (i: number) => string, number][] = [
  ['50 B', (i) => HEADER + JSON.stringify({ id: i, name: `item-${i}`, ok: true, t: 1_700_000_000_000 }) + '}', 400_000],
  ['4 KiB', (i) => HEADER + JSON.stringify({ id: i, data: PAD.slice(0, 4079 - String(i).length) }) + '}', 30_000],
];
const CAPS = [16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024];
const ROUNDS = 5;

async function writeAll(socket: Socket, make: (i: number) => string, n: number, cap: number): Promise<number> {
  const before = process.cpuUsage();
  let i = 0;
  while (i < n) {
    const batch: string[] = [];
    for (let chars = 0; i < n && chars < cap; i++) {
      const line = make(i);
      batch.push(line);
      chars += line.length + 1;
    }
    batch.push('');
    if (!socket.write(batch.join('\n'))) await once(socket, 'drain');
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

const dir = mkdtempSync(join(tmpdir(), 'hostbus-write-batch-'));
const server = createServer((s) => s.resume());
server.listen(join(dir, 'sink.sock'));
await once(server, 'listening');
const socket = connect(join(dir, 'sink.sock'));
await once(socket, 'connect');
try {
  for (const [label, make, n] of kinds) {
    const us = new Map<number, number[]>(CAPS.map((cap) => [cap, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const cap of CAPS) us.get(cap)!.push(await writeAll(socket, make, n, cap));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[ROUNDS >> 1]!;
    const base = median(us.get(64 * 1024)!);
    const cells = CAPS.map((cap) => `${cap / 1024} KiB ${median(us.get(cap)!).toFixed(2)} µs (${(median(us.get(cap)!) / base).toFixed(2)}×)`);
    console.log(`${label} lines, writer CPU per message by batch size (× the 64 KiB batch): ${cells.join(', ')}; median of ${ROUNDS} interleaved rounds`);
  }
} finally {
  socket.end();
  await once(socket, 'close');
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
