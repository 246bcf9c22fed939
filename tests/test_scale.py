"""Scale smoke: 2,000 polls parked on ONE gevent worker all wake on their own events.
(The full figures, 10,000 parked polls and latency under load, are in bench/.)"""

import json
import subprocess
import sys

import pytest

from tests.support.servers import ROOT, Gunicorn, cli

pytestmark = pytest.mark.slow


def test_two_thousand_parked_polls_on_one_worker_all_wake(redis_url):
    with Gunicorn(redis_url, demo=False) as server:
        assert cli(["site", "add", "shop", "--origin", "http://shop.example"], server.env).returncode == 0
        run = subprocess.run([sys.executable, str(ROOT / "bench" / "swarm.py"), "parked", server.url,
                              "2000"], capture_output=True, text=True, timeout=240, cwd=ROOT)
        assert run.returncode == 0, run.stderr[-3000:]
        figures = json.loads(run.stdout.strip().splitlines()[-1])
        assert figures["woken"] == 2000, figures
