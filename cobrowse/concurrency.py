"""The one seam for concurrency: events, locks, background tasks, sleeping, clocks.

Everything here goes through the standard ``threading`` and ``time`` modules, looked up at
call time. In production gunicorn's gevent worker monkey-patches them before the app is
loaded, so the same calls become cooperative (greenlets, gevent events); in unit tests they
are plain threads. No module of the project imports gevent directly (STYLE.md, habit 2).

The lookups are deliberately late (``threading.Event()`` inside a function, not
``Event = threading.Event`` at import): if this module is imported before the patching, a
module-level alias would keep pointing at the unpatched class and block the whole worker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


def Event() -> threading.Event:  # noqa: N802 - reads like the class it builds
    """A new event flag (``set``/``clear``/``wait(timeout)``)."""
    return threading.Event()


def Lock() -> threading.Lock:  # noqa: N802
    """A new mutual-exclusion lock (usable as a context manager)."""
    return threading.Lock()


def Semaphore(value: int) -> threading.BoundedSemaphore:  # noqa: N802
    """A new bounded semaphore (``acquire(timeout=...)``/``release``)."""
    return threading.BoundedSemaphore(value)


def RLock() -> threading.RLock:  # noqa: N802
    """A new re-entrant lock."""
    return threading.RLock()


def spawn(fn: Callable[..., Any], *args: Any, name: str | None = None) -> threading.Thread:
    """Run ``fn(*args)`` in the background (a daemon thread, or a greenlet under gevent).

    Returns the handle; ``handle.join(timeout)`` waits for it. Daemon, so a forgotten task
    never keeps the process alive at shutdown.
    """
    thread = threading.Thread(target=fn, args=args, name=name, daemon=True)
    thread.start()
    return thread


def spawn_from_signal(fn: Callable[..., Any], *args: Any) -> None:
    """Schedule ``fn(*args)`` to run soon, without waiting: safe inside a signal handler.

    Under gevent a signal handler runs on the hub, where anything that blocks (a lock, a
    socket, even ``Thread.start``, which waits for the thread to begin) raises
    ``BlockingSwitchOutError`` (issue 10, item 7). ``gevent.spawn`` only queues the
    greenlet. Without gevent a plain daemon thread is started.
    """
    try:
        from gevent import monkey
        from gevent import spawn as gevent_spawn
    except ImportError:  # pragma: no cover - gevent is a dependency
        gevent_spawn = None
    if gevent_spawn is not None and monkey.is_module_patched("threading"):
        gevent_spawn(fn, *args)
        return
    threading.Thread(target=fn, args=args, daemon=True).start()


def sleep(seconds: float) -> None:
    """Pause the current thread (yields to other greenlets under gevent)."""
    time.sleep(seconds)


def monotonic() -> float:
    """Seconds from a clock that never goes back; for deadlines and TTLs, not timestamps."""
    return time.monotonic()


def run_blocking(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run CPU-heavy ``fn`` without stalling the other requests of this worker.

    Under gevent (the module ``threading`` is patched) it runs in gevent's pool of real OS
    threads: the interpreter switches threads every few milliseconds, so parked polls keep
    being answered while a 2 MB snapshot is sanitized. Without gevent it runs inline (the
    caller is already on its own thread). The only place the project touches gevent.
    """
    try:
        from gevent import get_hub, monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return fn(*args, **kwargs)
    if not monkey.is_module_patched("threading"):
        return fn(*args, **kwargs)
    # The pool prints a traceback for any exception a task raises, even one the caller
    # handles (a refused snapshot): bring it back as a value and raise it here instead.
    ok, result = get_hub().threadpool.apply(_outcome, (fn, args, kwargs))
    if not ok:
        raise result
    return result


def _outcome(fn: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[bool, Any]:
    try:
        return True, fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - re-raised by run_blocking in the caller
        return False, exc
