"""How long the event loop of a gevent worker stalls while a 2 MB snapshot is sanitized the
way the server does it (``concurrency.run_blocking``): a ticker greenlet, standing in for the
other sessions' parked polls, records the longest gap between its ticks.

    .venv/bin/python bench/sanitize_stall.py      (run by bench/bench_sanitize.py)
"""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from bench.bench_sanitize import ORIGIN, PAGE, _synthetic, snapshot_of  # noqa: E402
from cobrowse.concurrency import run_blocking  # noqa: E402
from cobrowse.sanitize import SitePolicy, sanitize_snapshot  # noqa: E402


def main(rounds: int = 5) -> None:
    html = open(PAGE, encoding="utf-8").read() if os.path.exists(PAGE) else _synthetic()
    event = snapshot_of(html)
    policy = SitePolicy(origins=(ORIGIN,), mask_selectors=(".secret", "#card input"))
    worst = [0.0]
    running = [True]

    def ticker():
        last = time.perf_counter()
        while running[0]:
            gevent.sleep(0.001)
            now = time.perf_counter()
            worst[0] = max(worst[0], now - last)
            last = now

    tick = gevent.spawn(ticker)
    gevent.sleep(0.05)
    worst[0] = 0.0
    took = []
    for _ in range(rounds):
        start = time.perf_counter()
        run_blocking(sanitize_snapshot, event, policy)
        took.append(time.perf_counter() - start)
    running[0] = False
    tick.join()
    print(f"in a gevent worker (thread pool): sanitize took {min(took) * 1e3:.0f}-"
          f"{max(took) * 1e3:.0f} ms; longest event-loop stall {worst[0] * 1e3:.1f} ms "
          f"(target <= 50 ms)")


if __name__ == "__main__":
    main()
