"""Peer benchmark of shared state (issue 14): the state modes of python_mp.py (which imports this module).

Two kinds of shared state:
  Manager().dict()   a proxy to a dict in the manager's server process: every `d[k] = v` is a
                     request/answer round trip to it (a connection per process, a server thread
                     per connection). The closest Python has to a dict held by a hub; a proxy
                     call cannot be pipelined, so this one loop is the peer of both dict scenarios.
  Value('i', 0)      a C int in shared memory with its lock (an RLock: a futex); no server, no
                     round trip. A physical reference: what the kernel does when nobody relays.

Modes (argv after the mode: n):
  dict-set N    one process (the manager in its own): `len(d)` (connects the proxy, outside the
                window), then N timed `d[f"k{i % 1000}"] = i` (time.perf_counter_ns around the
                loop). Then checked: the dict holds exactly k0 .. k999 (min(N, 1000) keys) in the
                order first set, each with the last i written to it
  value-add N   four worker processes share one mp.Value('i', 0); they start together (a Barrier),
                each `for N: with v.get_lock(): v.value += 1`; the window runs from the earliest
                start to the latest end over the four (perf_counter_ns: CLOCK_MONOTONIC, one clock
                for the host). Then checked: the value is 4N
"""

import time

KEYS = 1000


def run_dict_set(ctx, n):
    mgr = ctx.Manager()
    try:
        d = mgr.dict()
        if len(d) != 0:  # the proxy connects on first use: outside the window
            raise RuntimeError("the Manager dict is not empty before the first set")
        clock = time.perf_counter_ns
        t0 = clock()
        for i in range(n):
            d[f"k{i % KEYS}"] = i
        t1 = clock()
        items = list(d.items())  # one round trip: the dict's items in its order
    finally:
        mgr.shutdown()
    keys = min(n, KEYS)
    if len(items) != keys:
        raise RuntimeError(f"the dict holds {len(items)} keys, expected {keys}")
    for j, (k, v) in enumerate(items):
        last = j + KEYS * ((n - 1 - j) // KEYS)
        if k != f"k{j}" or v != last:
            raise RuntimeError(f"entry {j} is {(k, v)!r}, expected ('k{j}', {last})")
    return {"type": "result", "count": n, "keys": len(items), "elapsedMs": (t1 - t0) / 1e6}


def va_adder(v, n, barrier, results, die_with_parent):
    die_with_parent()
    barrier.wait()
    clock = time.perf_counter_ns
    first = clock()
    for _ in range(n):
        with v.get_lock():
            v.value += 1
    last = clock()
    results.put({"count": n, "first": first, "last": last})


def run_value_add(ctx, n, join, die_with_parent, workers=4):
    v = ctx.Value("i", 0)  # lock=True (the default): an RLock beside the int
    barrier = ctx.Barrier(workers)
    results = ctx.Queue()
    procs = [ctx.Process(target=va_adder, name=f"adder-{w}", args=(v, n, barrier, results, die_with_parent))
             for w in range(workers)]
    for p in procs:
        p.start()
    join(procs)
    got = [results.get(timeout=10) for _ in procs]
    if v.value != workers * n:
        raise RuntimeError(f"the value is {v.value} after {workers * n} increments, expected {workers * n}")
    starts = [r["first"] for r in got]
    elapsed_ms = (max(r["last"] for r in got) - min(starts)) / 1e6
    return {"type": "result", "count": sum(r["count"] for r in got), "value": v.value,
            "elapsedMs": elapsed_ms, "startSpreadMs": (max(starts) - min(starts)) / 1e6}
