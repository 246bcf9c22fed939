"""Parked readers of streams, and the local registry that wakes them.

A long poll registers a :class:`Waiter` on its streams *before* it reads them, then waits.
Whatever wakes a stream (an append in this process for the memory broker; a pub/sub message
for Redis) sets the event of every waiter registered on it. Because the event stays set until
the waiter has returned from ``wait``, an append that lands between the read and the wait is
never lost (the "register before reading" rule of the interface).

Both backends share this module: only the source of wake-ups differs.
"""

from __future__ import annotations

from collections.abc import Iterable

from cobrowse import concurrency

#: Same as cobrowse.storage.base.RELEASE_PREFIX (kept here to avoid an import cycle).
RELEASE_PREFIX = "release:"


class Waiter:
    """One parked reader of one or more streams; a context manager.

    ::

        with broker.waiter(["a", "b"]) as w:
            events = broker.read(...)
            if not events:
                w.wait(timeout)   # True: woken, read again; False: timed out or broker closed

    ``wait`` may return True spuriously (e.g. after a Redis reconnection every waiter is
    woken because wake-ups may have been lost): callers always re-read.
    """

    __slots__ = ("streams", "owner", "generation", "released", "_registry", "_event",
                 "_registered")

    def __init__(self, registry: WaiterRegistry, streams: Iterable[str],
                 release: tuple[str, int] | None = None):
        self.streams = tuple(dict.fromkeys(streams))  # unique, order kept
        self.owner, self.generation = release or (None, 0)
        self.released = False  # set when a newer poll of the same owner released this one
        self._registry = registry
        self._event = concurrency.Event()
        self._registered = False

    def __enter__(self) -> Waiter:
        self._registry.register(self)
        self._registered = True
        return self

    def __exit__(self, *exc_info) -> None:
        self._registered = False
        self._registry.unregister(self)

    def wait(self, timeout: float | None) -> bool:
        """Park until a stream is woken (True) or ``timeout`` seconds pass (False).

        Returns False at once when the broker is closed (shutdown): the caller should answer
        with what it has instead of waiting or re-reading in a loop.
        """
        if not self._registered:
            raise RuntimeError("Waiter.wait() outside its 'with' block would miss wake-ups")
        if self._registry.closed:
            return False
        woken = self._event.wait(timeout)
        # Cleared after returning from the wait, before the caller re-reads: a wake-up that
        # arrives from here on sets the event again, so the next wait sees it.
        self._event.clear()
        return woken and not self._registry.closed

    def wake(self) -> None:
        self._event.set()

    def _names(self) -> tuple[str, ...]:
        return self.streams + ((RELEASE_PREFIX + self.owner,) if self.owner else ())


class WaiterRegistry:
    """Waiters of this process, indexed by stream name (and by release owner)."""

    def __init__(self):
        self._lock = concurrency.Lock()
        self._by_stream: dict[str, set[Waiter]] = {}
        self._count = 0
        self.closed = False

    def register(self, waiter: Waiter) -> None:
        with self._lock:
            for stream in waiter._names():
                self._by_stream.setdefault(stream, set()).add(waiter)
            self._count += 1
        if self.closed:
            waiter.wake()

    def unregister(self, waiter: Waiter) -> None:
        with self._lock:
            for stream in waiter._names():
                parked = self._by_stream.get(stream)
                if parked is not None:
                    parked.discard(waiter)
                    if not parked:
                        del self._by_stream[stream]
            self._count -= 1

    def dispatch(self, message: str) -> int:
        """Act on one wake-up message: a stream name, or ``release:<owner>:<generation>``."""
        if message.startswith(RELEASE_PREFIX):
            owner, _, generation = message[len(RELEASE_PREFIX):].rpartition(":")
            if not generation.isdigit():
                return 0
            return self.release(owner, int(generation))
        return self.wake(message)

    def release(self, owner: str, generation: int) -> int:
        """Release the waiters of ``owner`` older than ``generation`` (a newer poll came)."""
        with self._lock:
            parked = [w for w in self._by_stream.get(RELEASE_PREFIX + owner, ())
                      if w.generation < generation]
        for waiter in parked:
            waiter.released = True
            waiter.wake()
        return len(parked)

    def wake(self, stream: str) -> int:
        """Wake every waiter of ``stream``; returns how many."""
        with self._lock:
            parked = list(self._by_stream.get(stream, ()))
        for waiter in parked:
            waiter.wake()
        return len(parked)

    def wake_all(self) -> int:
        """Wake every waiter (used after wake-ups may have been lost, and at close)."""
        with self._lock:
            parked = {w for ws in self._by_stream.values() for w in ws}
        for waiter in parked:
            waiter.wake()
        return len(parked)

    def close(self) -> None:
        """Wake everyone for good: from now on ``wait`` returns False at once."""
        self.closed = True
        self.wake_all()

    def __len__(self) -> int:
        return self._count
