"""A gevent load client: many parked polls and many sending pairs from one process.

Run as a script (it monkey-patches on import, so never import it from the test process):

    python bench/swarm.py parked URL N            # N visitors park a poll, then all are woken
    python bench/swarm.py latency URL REDIS PAIRS RATE SECONDS

Prints one JSON line of figures.
"""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from gevent.pool import Pool  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.actors import Visitor, pooled_transport  # noqa: E402

ORIGIN = "http://shop.example"


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def parked(url: str, n: int, worker_pid: int | None = None) -> dict:
    """Park ``n`` polls on the server, measure memory, then wake each with its own event."""
    transport = pooled_transport(url, timeout=90)
    visitors = [Visitor(transport, origin=ORIGIN) for _ in range(n)]
    pool = Pool(200)
    pool.map(lambda v: v.hello(), visitors)
    before = rss_kb(worker_pid) if worker_pid else 0
    results: dict[int, list] = {}

    def park(i, v):
        # Like a real client: an empty answer (the hold ran out) is followed by a new poll.
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            got = v.poll(hold=60)
            if got:
                results[i] = got
                return

    started = time.monotonic()
    greenlets = [gevent.spawn(park, i, v) for i, v in enumerate(visitors)]
    # Wait until the server holds them all: the resident memory stops growing.
    gevent.sleep(3 + n / 2000)
    held_kb = rss_kb(worker_pid) if worker_pid else 0
    woke_at = time.monotonic()
    sender = Pool(100)
    sender.map(lambda v: v.send({"k": "chat", "text": "wake up"}), visitors)
    gevent.joinall(greenlets, timeout=240)
    woken = sum(1 for i in range(n) if any(e["k"] == "chat" for e in results.get(i, [])))
    return {"parked": n, "woken": woken, "wake_all_seconds": round(time.monotonic() - woke_at, 2),
            "rss_before_kb": before, "rss_parked_kb": held_kb,
            "kb_per_parked_poll": round((held_kb - before) / n, 2) if worker_pid else None,
            "setup_seconds": round(woke_at - started, 2)}


def latency(url: str, pairs: list, rate: float, seconds: float) -> dict:
    """Each (visitor, agent) pair: the visitor sends pointer moves at ``rate``/s, the agent
    long-polls; latency is send start -> agent receipt."""
    sent: dict[tuple[int, int], float] = {}
    lags: list[float] = []
    stop = time.monotonic() + seconds

    def send_loop(k, visitor):
        n = 0
        while time.monotonic() < stop:
            n += 1
            sent[(k, n)] = time.monotonic()
            visitor.send({"k": "pointer", "i": n, "x": 0.5, "y": 0.5})
            gevent.sleep(max(0.0, 1 / rate - 0.001))

    def poll_loop(k, agent):
        while time.monotonic() < stop + 1:
            for event in agent.poll(hold=2):
                if event["k"] == "pointer":
                    lags.append(time.monotonic() - sent[(k, event["i"])])

    jobs = [gevent.spawn(send_loop, k, v) for k, (v, _) in enumerate(pairs)]
    jobs += [gevent.spawn(poll_loop, k, a) for k, (_, a) in enumerate(pairs)]
    gevent.joinall(jobs, timeout=seconds + 30)
    lags.sort()
    if not lags:
        return {"pairs": len(pairs), "events": 0}
    return {"pairs": len(pairs), "events": len(lags),
            "events_per_second": round(len(lags) / seconds, 1),
            "p50_ms": round(statistics.median(lags) * 1000, 2),
            "p99_ms": round(lags[int(len(lags) * 0.99) - 1] * 1000, 2)}


def make_pairs(url: str, redis_url: str, n: int) -> list:
    """``n`` visitor/agent pairs in active co-browse sessions. Agents get their participant
    straight from the broker (signing in 1,000 agents would only measure scrypt)."""
    from cobrowse import config
    from cobrowse.core import Core
    from cobrowse.storage import keys
    from tests.support.actors import Agent
    from tests.test_api import start_session

    core = Core(config.load({"redis_url": redis_url, "secret_key": "b" * 32}))
    transport = pooled_transport(url, timeout=90)
    pairs = []
    run = uuid.uuid4().hex[:6]

    def one(k):
        name = f"bench-{run}-{k}"
        token, who = core.participants.create("agent", agent=name, display=name)
        core.broker.sadd(keys.agent_participants(name), who["id"])
        agent = Agent(transport)
        agent.token = token
        visitor = Visitor(transport, origin=ORIGIN)
        visitor.hello()
        start_session(visitor, agent, "view")
        agent.poll()
        visitor.poll()
        pairs.append((visitor, agent))

    Pool(50).map(one, range(n))
    return pairs


if __name__ == "__main__":
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "parked":
        pid = int(sys.argv[4]) if len(sys.argv) > 4 else None
        print(json.dumps(parked(url, int(sys.argv[3]), pid)))
    elif mode == "latency":
        redis_url, n, rate, seconds = sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
        print(json.dumps(latency(url, make_pairs(url, redis_url, n), rate, seconds)))
    else:
        raise SystemExit(f"unknown mode {mode}")
