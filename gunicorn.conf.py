"""gunicorn settings: gevent workers that park thousands of long polls each.

Run: ``gunicorn -c gunicorn.conf.py app:app``. Port from ``PORT`` (default 8000); workers
from ``COBROWSE_WORKERS`` (default 1). The in-process broker refuses more than one worker.
"""

import atexit
import os
import shutil
import signal
import sys
import tempfile

bind = [f"{os.environ.get('COBROWSE_BIND', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]
worker_class = "gevent"
workers = int(os.environ.get("COBROWSE_WORKERS", "1"))
# Each parked poll is one greenlet; 10,000 of them fit in one worker.
worker_connections = int(os.environ.get("COBROWSE_WORKER_CONNECTIONS", "10000"))
# Longer than the poll hold (25 s) so a parked poll never looks like a hung worker.
timeout = 60
graceful_timeout = 10
keepalive = 75
backlog = 4096
accesslog = os.environ.get("COBROWSE_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("COBROWSE_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Metrics from every worker (cobrowse/metrics.py): prometheus_client's multiprocess mode keeps
# one file per worker in this directory. Set before any worker imports prometheus_client.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _metrics_dir = tempfile.mkdtemp(prefix="cobrowse-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir
    _master_pid = os.getpid()
    # Only the master removes it (workers fork with this atexit registered too).
    atexit.register(lambda: os.getpid() == _master_pid and shutil.rmtree(_metrics_dir, True))


def on_starting(server):
    """Refuse a configuration that cannot work, before any worker starts."""
    import resource

    # Every parked poll holds a socket: allow as many as the system lets us.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY
                                                    else 65536, hard))
    from cobrowse import config as config_mod
    from cobrowse.errors import ConfigError

    try:
        cfg = config_mod.load().validate()
    except ConfigError as err:
        sys.exit(f"cobrowse: {err.message}")
    if server.cfg.workers > 1 and not cfg.redis_url:
        sys.exit("cobrowse: the embedded broker keeps state inside one process, so it runs with "
                 "exactly one worker. Set COBROWSE_REDIS_URL (e.g. redis://127.0.0.1:6379/0) "
                 "to run several workers or hosts.")
    if cfg.redis_url:
        from cobrowse.storage import durability

        may_start, message = durability.check(cfg.redis_url, config_mod.redis_ephemeral(cfg))
        if not may_start:
            sys.exit(f"cobrowse: {message}")
        if message:
            server.log.warning("cobrowse: %s", message)


def when_ready(server):
    """In demo mode: the demo site and a demo agent with a fresh password, printed once."""
    from cobrowse import config as config_mod
    from cobrowse.demo_setup import prepare_demo

    cfg = config_mod.load()
    if cfg.demo:
        port = server.cfg.bind[0].rsplit(":", 1)[-1] if server.cfg.bind else "8000"
        prepare_demo(cfg, port, print_to=sys.stderr)


def _core(worker):
    extensions = getattr(worker.wsgi, "extensions", None)
    return extensions.get("cobrowse") if extensions else None


def child_exit(server, worker):
    """A worker's live gauges (parked polls) leave with it; its counters stay counted."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """JSON log lines; on shutdown or reload, answer parked polls at once so clients move on
    unharmed.

    The signal handler only schedules the drain: under gevent it runs on the hub, where
    any blocking call (a lock, a Redis publish) raises BlockingSwitchOutError and the
    worker dies with status 255 (issue 10, item 7). gunicorn's own handler then stops the
    worker's loop as usual; the broker is closed in ``worker_exit``, once no request of
    this worker can need it any more.
    """
    from cobrowse import concurrency, logs

    logs.configure(os.environ.get("COBROWSE_LOG_LEVEL", "info"))

    def chain(previous):
        def drain_then_exit(signum, frame):
            core = _core(worker)
            if core is not None:
                concurrency.spawn_from_signal(core.start_draining)
            if callable(previous):
                previous(signum, frame)
        return drain_then_exit

    for sig in (signal.SIGTERM, signal.SIGQUIT):
        signal.signal(sig, chain(signal.getsignal(sig)))


    # Every worker delivers webhooks from the shared queue (issue 13), from its start on, so a
    # worker that dies leaves its deliveries to the others.
    core = _core(worker)
    if core is not None:
        core.webhooks.start()


def worker_exit(server, worker):
    """The worker's loop has ended: stop the broker's listener and free its connections."""
    core = _core(worker)
    if core is not None:
        core.drain()
