"""What a parked poll costs one gevent worker (issue 9): memory, and CPU while idle.

    .venv/bin/python bench/bench_parked.py [--polls 10000] [--idle 20]

Starts its own redis-server and one gunicorn gevent worker on loopback, says hello for
``--polls`` visitors, parks one poll for each (held 60 s), then measures the worker's resident
memory per parked poll and its CPU time over ``--idle`` seconds while nothing happens, per
parked poll per second. Targets: at most 20 KB and under 0.05 ms per parked poll per second.
The load generator runs in a separate process (bench/swarm.py-style gevent client).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.redis_server import RedisServer  # noqa: E402
from tests.support.servers import Gunicorn, cli  # noqa: E402

CLIENT = r"""
from gevent import monkey; monkey.patch_all()
import json, sys, time, gevent
from gevent.pool import Pool
sys.path.insert(0, sys.argv[1])
from tests.support.actors import Visitor, pooled_transport
url, n = sys.argv[2], int(sys.argv[3])
shared = pooled_transport(url, timeout=120)  # hello over a few kept-alive connections
visitors = [Visitor(shared, origin="http://shop.example") for _ in range(n)]
Pool(200).map(lambda v: v.hello(), visitors)
print(json.dumps({"ready": n}), flush=True)
def park(v):
    v.post = pooled_transport(url, timeout=120)  # a connection of its own, as a browser tab
    try:
        v.poll(hold=60)
    except Exception:
        pass
for v in visitors:
    gevent.spawn(park, v)
    gevent.sleep(0)
sys.stdin.readline()
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def settled_rss(pid: int, limit: float = 180.0) -> int:
    """The worker's RSS once it stops growing (every poll has arrived and parked)."""
    last, steady, deadline = rss_kb(pid), 0, time.monotonic() + limit
    while steady < 4 and time.monotonic() < deadline:
        time.sleep(1)
        now = rss_kb(pid)
        steady = steady + 1 if abs(now - last) < 64 else 0
        last = now
    return last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--polls", type=int, default=10000)
    parser.add_argument("--idle", type=float, default=20.0)
    args = parser.parse_args()
    redis_server = RedisServer().start()
    try:
        env = {"COBROWSE_POLL_HOLD": "60", "COBROWSE_AWAY_AFTER": "90",
               "COBROWSE_WORKER_CONNECTIONS": str(args.polls + 1000),
               "COBROWSE_REDIS_EPHEMERAL": "1"}
        with Gunicorn(redis_server.url, demo=False, env=env) as server:
            cli(["site", "add", "shop", "--origin", "http://shop.example"], server.env)
            worker = int(Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
                         .read_text().split()[0])
            client = subprocess.Popen([sys.executable, "-c", CLIENT, str(ROOT), server.url,
                                       str(args.polls)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
            assert json.loads(client.stdout.readline())["ready"] == args.polls
            time.sleep(2)
            before = rss_kb(worker)
            parked_kb = settled_rss(worker)  # the polls arrive and park
            cpu0, t0 = cpu_seconds(worker), time.monotonic()
            time.sleep(args.idle)
            cpu1, t1 = cpu_seconds(worker), time.monotonic()
            client.stdin.write("\n")
            client.stdin.flush()
            client.wait(60)
            per_poll_ms = (cpu1 - cpu0) * 1000 / (t1 - t0) / args.polls
            print(json.dumps({
                "parked_polls": args.polls,
                "kb_per_parked_poll": round((parked_kb - before) / args.polls, 2),
                "worker_rss_kb": {"after_hello": before, "parked": parked_kb},
                "idle_cpu_ms_per_parked_poll_per_s": round(per_poll_ms, 5),
                "idle_seconds": args.idle,
            }))
    finally:
        redis_server.stop()


if __name__ == "__main__":
    main()
