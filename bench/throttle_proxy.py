"""A TCP proxy that limits the client-to-server direction with a token bucket, for benchmarks
that need a visitor's slow upstream (bench/bench_replica.py). The other direction is not
limited. Runs its own asyncio loop in a thread. ``hole = True`` makes it a black hole (no
byte moves either way, new connections hang) until it is set back to False.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time


class TokenBucket:
    """``rate`` bytes a second, bursts up to ``burst`` bytes; shared by all connections (one
    visitor's uplink)."""

    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()
        self.lock = asyncio.Lock()

    async def take(self, n: int) -> None:
        async with self.lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= n:
                    self.tokens -= n
                    return
                await asyncio.sleep((n - self.tokens) / self.rate)


class ThrottleProxy:
    """Listens on 127.0.0.1:``port`` and forwards to 127.0.0.1:``target``."""

    CHUNK = 4096

    def __init__(self, target: int, kbit_per_s: float, port: int = 0):
        self.target = target
        self.rate = kbit_per_s * 1000 / 8
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.up_bytes = 0
        self.hole = False
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.base_events.Server | None = None

    def start(self) -> ThrottleProxy:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self.loop).result(10)
        return self

    def stop(self) -> None:
        async def close():
            if self.server:
                self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.sleep(0)  # let the closed transports finish
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    async def _listen(self) -> None:
        self.bucket = TokenBucket(self.rate, burst=self.CHUNK * 4)
        self.server = await asyncio.start_server(self._client, sock=self.sock)

    async def _client(self, reader, writer) -> None:
        while self.hole:
            await asyncio.sleep(0.05)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_writer, limited=True),
                             self._pipe(up_reader, writer, limited=False))

    async def _pipe(self, reader, writer, limited: bool) -> None:
        try:
            while data := await reader.read(self.CHUNK):
                while self.hole:
                    await asyncio.sleep(0.05)
                if limited:
                    await self.bucket.take(len(data))
                    self.up_bytes += len(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                writer.close()
            except OSError:
                pass
