"""Broker figures: append/read throughput and wake-up latency, for both backends.

    .venv/bin/python bench/bench_broker.py            # starts a throwaway redis-server
    .venv/bin/python bench/bench_broker.py --redis-url redis://127.0.0.1:6379/0 --quick

Wake-up latency runs from the call to ``append`` until the last waiter parked on another
broker instance (another "worker") has returned from ``wait``: the delay a parked poll adds
to an event. Waiters are plain threads here; under gevent they are greenlets.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cobrowse.storage import create_broker  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

EVENT = {"k": "pointer", "i": 1234, "x": 0.25, "y": 0.75}


def throughput(broker, n: int) -> dict:
    started = time.perf_counter()
    for i in range(n):
        broker.append("bench:{s}:a", [EVENT], ttl=60, dedupe=("v", i + 1))
    appended = time.perf_counter() - started
    started = time.perf_counter()
    cursor = 0
    while batch := broker.read("bench:{s}:a", cursor, 500):
        cursor = batch[-1][0]
    read = time.perf_counter() - started
    return {"append/s": round(n / appended), "events read/s": round(n / read)}


def wake_latency(sender, receiver, rounds: int, waiters: int) -> dict:
    """p50/p99 ms from append on ``sender`` to the last of ``waiters`` woken on ``receiver``."""
    samples = []
    for r in range(rounds):
        stream = f"bench:{{w{r}}}:in"
        woken = []
        parked = threading.Barrier(waiters + 1)

        def park(stream=stream, woken=woken, parked=parked):
            with receiver.waiter([stream]) as w:
                parked.wait()
                if w.wait(5):
                    woken.append(time.perf_counter())

        threads = [threading.Thread(target=park) for _ in range(waiters)]
        for t in threads:
            t.start()
        parked.wait()
        started = time.perf_counter()
        sender.append(stream, [EVENT], ttl=60)
        for t in threads:
            t.join()
        assert len(woken) == waiters, "lost wake-ups"
        samples.append((max(woken) - started) * 1000)
    samples.sort()
    return {
        "waiters": waiters,
        "p50 ms": round(statistics.median(samples), 2),
        "p99 ms": round(samples[int(len(samples) * 0.99) - 1], 2),
    }


def run(name: str, make) -> None:
    first, second = make(), make()
    try:
        print(f"{name}: {throughput(first, args.events)}")
        for waiters in (1, 100):
            print(f"{name}: wake {wake_latency(first, second, args.rounds, waiters)}")
        print(f"{name}: stats {second.stats()}")
    finally:
        first.close()
        second.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", help="an existing Redis (default: start one)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    args.events = 2000 if args.quick else 20000
    args.rounds = 20 if args.quick else 200

    memory = create_broker(None)  # one process: sender and receiver are the same broker
    run("memory", lambda: memory)
    server = None if args.redis_url else RedisServer().start()
    try:
        url = args.redis_url or server.url
        prefix = f"bench{uuid.uuid4().hex[:6]}:"
        run("redis", lambda: create_broker(url, prefix=prefix))
    finally:
        if server:
            server.stop()
