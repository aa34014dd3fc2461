"""Peer benchmark: Python's multiprocessing Queue and Pipe (standard library only).

Started by bench/systems/peers/python.ts as `python3 python_mp.py <mode> <n>`. This process is the
parent: it starts the producer and consumer processes with multiprocessing.Process (fork context),
waits for them, and prints ONE result line on stdout, a JSON object with "type": "result". Anything
else goes to stderr; a failure exits non-zero.

Modes:
  queue-small N     1 producer -> mp.Queue -> 1 consumer, ~50-byte dicts
  queue-4k N        the same with 4096-byte payloads (their JSON is exactly 4096 bytes)
  queue-4x4 N       4 producers (N/4 each) -> one mp.Queue -> 4 consumers; after every producer
                    has been joined the parent puts one None per consumer
  queue-slow N      1 producer -> mp.Queue (unbounded, its default) -> 1 consumer that sleeps
                    1 ms (time.sleep(0.001)) every 1,000 messages; both report ru_maxrss
  pipe-small N      parent -> mp.Pipe() (duplex, its default) -> child, ~50-byte dicts
  pipe-4k N         the same with 4096-byte payloads
  queue-put-loop N  queue-small under the name of the hostbus scenario whose producer is a put()
                    loop: Python's Queue has nothing but put() and get(), so it is the same run
  queue-get-loop N  1 producer: a q.put(m) loop, then q.put(None); 1 consumer:
                    `while (m := q.get()) is not None`
  queue-iter N      the same, the consumer `for m in iter(q.get, None)` (the docs' idiom: Queue
                    has no iterator)
  pipe-get-loop N   parent -> mp.Pipe() -> child: a conn.send(m) loop, then conn.send(None); the
                    child `while (m := conn.recv()) is not None`
  pipe-rtt N W      parent sends a small dict, the child echoes it: W warm-up trips, then N timed
                    ones (time.perf_counter_ns per trip), p50 and p99 (nearest rank) in µs
  lock-pair N KIND W, lock-handoff N KIND
                    Manager().Lock() (KIND manager) or mp.Lock() (KIND mp): see python_mp_lock.py
  dict-set N, value-add N
                    `d[k] = v` loop on a Manager().dict(); 4 processes `with v.get_lock():
                    v.value += 1` on an mp.Value('i'): see python_mp_state.py

Throughput is timed in the consumer, from its first message to its last (time.perf_counter_ns,
CLOCK_MONOTONIC on Linux: comparable across processes, which queue-4x4 needs).
"""

import ctypes
import json
import math
import multiprocessing as mp
import multiprocessing.connection
import os
import resource
import signal
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source folder for the module below
import python_mp_lock  # noqa: E402 (this script's folder is first on sys.path)
import python_mp_state  # noqa: E402

CTX = mp.get_context("fork")
T = 1_700_000_000_000
_PAD = {}


def small(i):
    """~50 bytes as JSON: {"id":123,"name":"item-123","ok":true,"t":1700000000000}."""
    return {"id": i, "name": f"item-{i}", "ok": True, "t": T}


def big(i):
    """A 4096-byte payload: json.dumps(big(i), separators=(",", ":")) is exactly 4096 bytes."""
    k = 4096 - 17 - len(str(i))
    pad = _PAD.get(k)
    if pad is None:
        pad = _PAD[k] = "x" * k
    return {"id": i, "data": pad}


MAKERS = {"small": small, "4k": big}


def die_with_parent():
    """Linux: SIGKILL this process when its parent dies (a killed benchmark leaves nothing)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux: the runner kills the whole process group anyway
        pass
    if os.getppid() == 1:
        os._exit(1)


def max_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def fail(message):
    print(f"python_mp: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def join(required, watch=()):
    """Waits for every process in `required`; fails at once if any of those or of `watch` dies."""
    pending = list(required)
    everyone = list(required) + list(watch)
    while pending:
        ready = mp.connection.wait([p.sentinel for p in everyone if p.exitcode is None or p in pending])
        for p in everyone:
            if p.sentinel in ready:
                p.join()
                if p.exitcode != 0:
                    for q in everyone:
                        if q.is_alive():
                            q.kill()
                    fail(f"{p.name} exited with code {p.exitcode}")
                if p in pending:
                    pending.remove(p)


# ---- queue -------------------------------------------------------------------------------------


def q_producer(q, results, lo, hi, kind, report_rss, sentinel=False):
    die_with_parent()
    make = MAKERS[kind]
    put = q.put
    for i in range(lo, hi):
        put(make(i))
    if sentinel:
        put(None)
    if report_rss:
        # Wait until the feeder thread has written everything: the peak is behind us then.
        q.close()
        q.join_thread()
        results.put({"role": "producer", "maxRssKiB": max_rss_kib()})


def q_consumer(q, results, expected, sleep_every):
    """Reads `expected` messages, or (expected None) until a None sentinel."""
    die_with_parent()
    get = q.get
    count = 0
    id_sum = 0
    first = last = 0
    clock = time.perf_counter_ns
    while expected is None or count < expected:
        m = get()
        if m is None:
            break
        last = clock()  # per message: with sentinels the end is the last real message
        if count == 0:
            first = last
        id_sum += m["id"]
        count += 1
        if sleep_every and count % sleep_every == 0:
            time.sleep(0.001)
    results.put({"role": "consumer", "count": count, "idSum": id_sum, "first": first, "last": last,
                 "maxRssKiB": max_rss_kib()})


def q_loop_consumer(q, results, style):
    """Reads until the None sentinel, one get() at a time, written as `style` says."""
    die_with_parent()
    count = 0
    id_sum = 0
    first = last = 0
    clock = time.perf_counter_ns
    if style == "get":
        get = q.get
        while (m := get()) is not None:
            last = clock()
            if count == 0:
                first = last
            id_sum += m["id"]
            count += 1
    else:  # "iter"
        for m in iter(q.get, None):
            last = clock()
            if count == 0:
                first = last
            id_sum += m["id"]
            count += 1
    results.put({"role": "consumer", "count": count, "idSum": id_sum, "first": first, "last": last,
                 "maxRssKiB": max_rss_kib()})


def run_queue_loop(n, style):
    """1 producer (put loop, then None) -> mp.Queue -> 1 consumer reading to the sentinel."""
    q = CTX.Queue()
    results = CTX.Queue()
    con = CTX.Process(target=q_loop_consumer, name="consumer", args=(q, results, style))
    prod = CTX.Process(target=q_producer, name="producer", args=(q, results, 0, n, "small", False, True))
    con.start()
    prod.start()
    join([prod], watch=[con])
    join([con])
    r = results.get(timeout=10)
    return {"type": "result", "count": r["count"], "idSum": r["idSum"],
            "elapsedMs": (r["last"] - r["first"]) / 1e6, "consumers": [r["count"]]}


def run_queue(kind, n, producers, consumers, slow):
    q = CTX.Queue()  # unbounded (maxsize=0), the default
    results = CTX.Queue()
    share = n // producers
    if share * producers != n:
        fail(f"n={n} is not a multiple of {producers} producers")
    sentinels = consumers > 1
    cons = [CTX.Process(target=q_consumer, name=f"consumer-{c}",
                        args=(q, results, None if sentinels else n, 1000 if slow else 0))
            for c in range(consumers)]
    prods = [CTX.Process(target=q_producer, name=f"producer-{p}",
                         args=(q, results, p * share, (p + 1) * share, kind, slow))
             for p in range(producers)]
    for p in cons + prods:
        p.start()
    join(prods, watch=cons)
    if sentinels:
        for _ in cons:
            q.put(None)
    join(cons)
    got = [results.get(timeout=10) for _ in range(consumers + (producers if slow else 0))]
    cs = [r for r in got if r["role"] == "consumer" and r["count"] > 0]
    count = sum(r["count"] for r in got if r["role"] == "consumer")
    id_sum = sum(r["idSum"] for r in got if r["role"] == "consumer")
    elapsed_ms = (max(r["last"] for r in cs) - min(r["first"] for r in cs)) / 1e6 if cs else 0
    out = {"type": "result", "count": count, "idSum": id_sum, "elapsedMs": elapsed_ms,
           "consumers": [r["count"] for r in got if r["role"] == "consumer"]}
    if slow:
        out["producerMaxRssKiB"] = max(r["maxRssKiB"] for r in got if r["role"] == "producer")
        out["consumerMaxRssKiB"] = max(r["maxRssKiB"] for r in got if r["role"] == "consumer")
    return out


# ---- pipe --------------------------------------------------------------------------------------


def p_consumer(conn, n):
    die_with_parent()
    recv = conn.recv
    m = recv()
    first = time.perf_counter_ns()
    id_sum = m["id"]
    for _ in range(n - 1):
        id_sum += recv()["id"]
    last = time.perf_counter_ns()
    conn.send({"count": n, "idSum": id_sum, "elapsedMs": (last - first) / 1e6})


def p_loop_consumer(conn):
    """Receives until the None sentinel; timed from the first message to the last."""
    die_with_parent()
    recv = conn.recv
    count = 0
    id_sum = 0
    first = last = 0
    clock = time.perf_counter_ns
    while (m := recv()) is not None:
        last = clock()
        if count == 0:
            first = last
        id_sum += m["id"]
        count += 1
    conn.send({"count": count, "idSum": id_sum, "elapsedMs": (last - first) / 1e6})


def p_echo(conn):
    die_with_parent()
    recv = conn.recv
    send = conn.send
    while True:
        m = recv()
        if m is None:
            break
        send(m)


def run_pipe(kind, n):
    parent_end, child_end = CTX.Pipe()  # duplex: a socketpair
    child = CTX.Process(target=p_consumer, name="pipe-consumer", args=(child_end, n))
    child.start()
    child_end.close()
    make = MAKERS[kind]
    send = parent_end.send
    for i in range(n):
        send(make(i))
    r = parent_end.recv()
    join([child])
    return {"type": "result", **r}


def run_pipe_loop(n):
    parent_end, child_end = CTX.Pipe()
    child = CTX.Process(target=p_loop_consumer, name="pipe-consumer", args=(child_end,))
    child.start()
    child_end.close()
    send = parent_end.send
    for i in range(n):
        send(small(i))
    send(None)
    r = parent_end.recv()
    join([child])
    return {"type": "result", **r}


def run_rtt(n, warmup):
    parent_end, child_end = CTX.Pipe()
    child = CTX.Process(target=p_echo, name="pipe-echo", args=(child_end,))
    child.start()
    child_end.close()
    send = parent_end.send
    recv = parent_end.recv
    clock = time.perf_counter_ns
    samples = []
    for i in range(warmup + n):
        m = small(i)
        t0 = clock()
        send(m)
        r = recv()
        t1 = clock()
        if r["id"] != i:
            fail(f"round trip {i} came back as {r['id']}")
        if i >= warmup:
            samples.append((t1 - t0) / 1e3)
    send(None)
    join([child])
    samples.sort()
    rank = lambda q: samples[max(0, math.ceil(q * len(samples)) - 1)]  # nearest rank
    return {"type": "result", "count": len(samples), "p50": rank(0.5), "p99": rank(0.99),
            "mean": statistics.fmean(samples), "max": samples[-1]}


def main(argv):
    die_with_parent()
    if len(argv) < 2:
        fail("usage: python_mp.py <mode> <n> [warmup]")
    mode, n = argv[0], int(argv[1])
    if mode == "queue-small":
        out = run_queue("small", n, 1, 1, False)
    elif mode == "queue-4k":
        out = run_queue("4k", n, 1, 1, False)
    elif mode == "queue-4x4":
        out = run_queue("small", n, 4, 4, False)
    elif mode == "queue-slow":
        out = run_queue("small", n, 1, 1, True)
    elif mode == "queue-put-loop":
        out = run_queue("small", n, 1, 1, False)
    elif mode == "queue-get-loop":
        out = run_queue_loop(n, "get")
    elif mode == "queue-iter":
        out = run_queue_loop(n, "iter")
    elif mode == "pipe-get-loop":
        out = run_pipe_loop(n)
    elif mode == "pipe-small":
        out = run_pipe("small", n)
    elif mode == "pipe-4k":
        out = run_pipe("4k", n)
    elif mode == "pipe-rtt":
        out = run_rtt(n, int(argv[2]) if len(argv) > 2 else 1000)
    elif mode == "lock-pair":
        out = python_mp_lock.run_lock_pair(CTX, n, argv[2], int(argv[3]) if len(argv) > 3 else 1000)
    elif mode == "lock-handoff":
        out = python_mp_lock.run_lock_handoff(CTX, n, argv[2], join, die_with_parent)
    elif mode == "dict-set":
        out = python_mp_state.run_dict_set(CTX, n)
    elif mode == "value-add":
        out = python_mp_state.run_value_add(CTX, n, join, die_with_parent)
    else:
        fail(f"unknown mode {mode}")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
