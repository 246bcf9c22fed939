"""Server benchmarks (issue 2): one command, printed figures.

    make bench          # or: .venv/bin/python bench/run.py [--quick]

Starts its own redis-server and one gunicorn gevent worker on loopback, then measures:
parked polls held by the worker and resident memory per parked poll; Redis connections per
worker; send -> poll latency p50/p99 and events per second at 10, 100 and 1,000 pairs.
Targets: 10,000 parked polls at < 20 KB each; p99 < 20 ms at 100 pairs x 10 events/s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from tests.support.redis_server import RedisServer  # noqa: E402
from tests.support.servers import Gunicorn, cli  # noqa: E402


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def swarm(*args: str, timeout: int = 900) -> dict:
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "swarm.py"), *args],
                         capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if run.returncode != 0:
        raise SystemExit(run.stderr[-4000:])
    return json.loads(run.stdout.strip().splitlines()[-1])


def redis_clients(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return sum(1 for c in client.client_list() if c.get("name") != "bench")
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller numbers, for a smoke run")
    args = parser.parse_args()
    parked_n = 2000 if args.quick else 10000
    pair_counts = (10, 100) if args.quick else (10, 100, 1000)
    seconds = "5" if args.quick else "10"
    redis_server = RedisServer().start()
    try:
        # Polls held up to 60 s here, so that parking 10,000 of them (which takes a while
        # from one load generator) finishes before the first would be answered empty.
        with Gunicorn(redis_server.url, demo=False, env={"COBROWSE_POLL_HOLD": "60",
                                                         "COBROWSE_WORKER_CONNECTIONS": "15000"}) as server:
            cli(["site", "add", "shop", "--origin", "http://shop.example"], server.env)
            pid = worker_pid(server.proc.pid)
            figures = swarm("parked", server.url, str(parked_n), str(pid))
            print(f"parked polls held by one worker: {figures['woken']}/{figures['parked']} woken "
                  f"in {figures['wake_all_seconds']} s")
            print(f"resident memory per parked poll: {figures['kb_per_parked_poll']} KB "
                  f"(worker RSS {figures['rss_before_kb']} -> {figures['rss_parked_kb']} KB)")
            print(f"Redis connections (whole worker, idle): {redis_clients(redis_server.url) - 1}")
            for pairs in pair_counts:
                lat = swarm("latency", server.url, redis_server.url, str(pairs), "10", seconds)
                print(f"{pairs:>5} pairs x 10 events/s: p50 {lat.get('p50_ms')} ms, "
                      f"p99 {lat.get('p99_ms')} ms, {lat.get('events_per_second')} events/s")
            print(f"Redis connections after load: {redis_clients(redis_server.url) - 1}")
    finally:
        redis_server.stop()


if __name__ == "__main__":
    main()
