"""One log line per refused crafted input, rate-limited per participant (issue 10, item 8).

A refusal is the sender's problem, not the server's: it gets a clear 4xx and the log gets one
line (participant, code, reason), never a traceback (those are for real server errors). A
hostile or broken client may send thousands of refused events a minute: each participant
gets ``burst`` lines per ``interval`` seconds, and the next line after a quiet spell says how
many were left out. Per process; bounded memory.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

log = logging.getLogger("cobrowse.refusals")

#: Longest reason written (the sanitizer's sentences are short; never page content).
MAX_REASON = 200


class RefusalLog:
    """Writes refusals to the log, at most ``burst`` lines per participant per ``interval``."""

    def __init__(self, burst: int = 3, interval: float = 60.0, max_tracked: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        self.burst, self.interval, self.max_tracked, self.clock = burst, interval, max_tracked, clock
        #: participant -> [window start, lines written in it, lines left out]
        self._windows: OrderedDict[str, list] = OrderedDict()

    def note(self, participant: str, code: str, reason: str) -> bool:
        """Log one refusal unless this participant is over its budget; True if written."""
        now = self.clock()
        window = self._windows.pop(participant, None)
        if window is None or now - window[0] >= self.interval:
            skipped = window[2] if window else 0
            window = [now, 0, skipped]
        self._windows[participant] = window  # most recent last: the oldest are dropped first
        while len(self._windows) > self.max_tracked:
            self._windows.popitem(last=False)
        if window[1] >= self.burst:
            window[2] += 1
            return False
        window[1] += 1
        skipped, window[2] = window[2], 0
        more = f" ({skipped} more refused since, not logged)" if skipped else ""
        log.info("refused %s from %s: %s%s", code, participant,
                 " ".join(str(reason).split())[:MAX_REASON], more, extra={"code": code})
        return True
