// Keepalive in virtual time: pings after an idle interval, a silent peer is dropped with ERR_TIMEOUT.
import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { Session } from '../../src/bus/session.js';
import { memoryWirePair } from '../../src/transport/memory-wire.js';
import { TimeoutError } from '../../src/errors.js';

describe('keepalive', () => {
  it('pings an idle peer; one that answers stays, one that is silent is dropped with ERR_TIMEOUT', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ flush }) => {
      const [ours, theirs] = memoryWirePair();
      const seen: { at: number; line: string }[] = [];
      let answering = true;
      theirs.start({
        line: (line) => {
          seen.push({ at: scheduler.now(), line });
          const ping = /"t":"ping","n":(\d+)/.exec(line);
          if (ping && answering) theirs.write(`{"t":"pong","n":${ping[1]}}`);
        },
        fault: () => undefined,
        closed: () => undefined,
      });
      theirs.write('{"t":"hello","v":1,"role":"peer"}');
      let closedWith: Error | undefined;
      new Session(ours, { role: 'client', keepaliveMs: 100, onClose: (err) => (closedWith = err) });

      // Every 100 the session checks whether it heard anything in the last interval. The hello
      // (0) makes 100 quiet-free; 200 was idle: ping, answered at once, so 300 is not idle; 400
      // idle: ping; and so on: a peer that only answers pings is pinged every other interval.
      scheduler.schedule(() => (answering = false), 450);
      flush();
      const pings = seen.filter((s) => s.line.includes('"ping"')).map((s) => s.at);
      // Silent from 450 on: 500 still counts the pong of 400; pings at 600 and 700 go
      // unanswered, and at 800 (the third idle interval) the session gives up.
      expect(pings).toEqual([200, 400, 600, 700]);
      expect(closedWith).toBeInstanceOf(TimeoutError);
      expect(seen.at(-1)!.line).toContain('ERR_TIMEOUT');
      expect(seen.at(-1)!.at).toBe(800);
    });
  });
});
