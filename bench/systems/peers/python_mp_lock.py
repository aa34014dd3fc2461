"""Peer benchmark of locks (issue 13): the lock modes of python_mp.py (which imports this module).

Two kinds of lock:
  manager   multiprocessing.Manager().Lock(): a proxy to a threading.Lock in the manager's server
            process; every acquire() and release() is a request/answer round trip to it (each
            process that uses the proxy has its own connection, and a server thread per
            connection). The closest Python has to a lock held by a hub.
  mp        multiprocessing.Lock(): a POSIX semaphore in shared memory (a futex); no server, no
            round trip. A physical reference: what the kernel does when nobody relays.

Modes (argv after the mode: n, then the kind):
  lock-pair N KIND [W]   one process (the manager, if any, in its own): W warm-up pairs then N timed
                         `lock.acquire(); lock.release()` pairs (time.perf_counter_ns per pair);
                         p50 and p99 (nearest rank) in µs
  lock-handoff N KIND    two worker processes contend for one lock, each `for N: acquire();
                         release()`; they start together (a Barrier); the window runs from the
                         earliest first grant to the latest last release over both
                         (perf_counter_ns: CLOCK_MONOTONIC, one clock for the host). Inside the
                         lock each worker does a read-then-write increment of a shared counter
                         (it must end at 2N: mutual exclusion) and records itself as the last
                         holder, which counts how many grants went to the other worker than the
                         grant before (switches)
"""

import math
import statistics
import time


def make_lock(ctx, kind):
    """(lock, manager or None) of this kind; the caller shuts the manager down."""
    if kind == "manager":
        mgr = ctx.Manager()
        return mgr.Lock(), mgr
    if kind == "mp":
        return ctx.Lock(), None
    raise ValueError(f"unknown lock kind {kind!r} (manager or mp)")


def nearest_rank(sorted_samples, q):
    return sorted_samples[max(0, math.ceil(q * len(sorted_samples)) - 1)]


def run_lock_pair(ctx, n, kind, warmup):
    lock, mgr = make_lock(ctx, kind)
    try:
        acquire, release = lock.acquire, lock.release
        clock = time.perf_counter_ns
        samples = [0.0] * n
        for i in range(warmup + n):
            t0 = clock()
            acquire()
            release()
            t1 = clock()
            if i >= warmup:
                samples[i - warmup] = (t1 - t0) / 1e3
    finally:
        if mgr is not None:
            mgr.shutdown()
    samples.sort()
    return {"type": "result", "count": len(samples), "p50": nearest_rank(samples, 0.5),
            "p99": nearest_rank(samples, 0.99), "mean": statistics.fmean(samples), "max": samples[-1]}


def lk_contender(lock, shared, me, n, barrier, results, die_with_parent):
    die_with_parent()
    lock.acquire()  # a manager proxy connects on first use: outside the window
    lock.release()
    barrier.wait()
    acquire, release = lock.acquire, lock.release
    clock = time.perf_counter_ns
    switches = 0
    first = 0
    for i in range(n):
        acquire()
        if i == 0:
            first = clock()
        c = shared[0]
        prev = shared[1]
        if prev != me:
            if prev >= 0:
                switches += 1
            shared[1] = me
        shared[0] = c + 1
        release()
    last = clock()
    results.put({"count": n, "first": first, "last": last, "switches": switches})


def run_lock_handoff(ctx, n, kind, join, die_with_parent):
    lock, mgr = make_lock(ctx, kind)
    try:
        shared = ctx.RawArray("q", [0, -1])  # [counter, last holder]
        barrier = ctx.Barrier(2)
        results = ctx.Queue()
        workers = [ctx.Process(target=lk_contender, name=f"contender-{w}",
                               args=(lock, shared, w, n, barrier, results, die_with_parent))
                   for w in range(2)]
        for w in workers:
            w.start()
        join(workers)
        got = [results.get(timeout=10) for _ in workers]
    finally:
        if mgr is not None:
            mgr.shutdown()
    count = sum(r["count"] for r in got)
    elapsed_ms = (max(r["last"] for r in got) - min(r["first"] for r in got)) / 1e6
    return {"type": "result", "count": count, "counter": shared[0], "elapsedMs": elapsed_ms,
            "switches": sum(r["switches"] for r in got)}
