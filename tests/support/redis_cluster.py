"""A throwaway 3-master Redis Cluster for tests, on loopback: three ``redis-server
--cluster-enabled yes`` and ``redis-cli --cluster create`` (no replicas, no persistence)."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import time

from tests.support.redis_server import RedisServerError

#: The cluster bus listens on port + 10000: pick ports where both are free and below 65536.
PORT_RANGE = (21000, 29000)


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports(count: int) -> list[int]:
    chosen: list[int] = []
    for _ in range(500):
        port = random.randint(*PORT_RANGE)
        if port not in chosen and _free(port) and _free(port + 10000):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise RedisServerError("no free ports for a Redis Cluster")


class RedisCluster:
    """``with RedisCluster() as c: c.url`` -> ``redis+cluster://127.0.0.1:<port>``."""

    def __init__(self, masters: int = 3):
        self.masters = masters
        self.ports: list[int] = []
        self.dir = ""
        self._procs: list[subprocess.Popen] = []

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"

    def start(self, timeout: float = 30.0) -> RedisCluster:
        server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
        if not server or not cli:
            raise RedisServerError("redis-server and redis-cli are needed for the cluster tests")
        self.dir = tempfile.mkdtemp(prefix="cobrowse-cluster-")
        self.ports = _ports(self.masters)
        for port in self.ports:
            node = os.path.join(self.dir, str(port))
            os.mkdir(node)
            self._procs.append(subprocess.Popen(
                [server, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                 "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "3000",
                 "--save", "", "--appendonly", "no", "--dir", node,
                 "--logfile", os.path.join(node, "redis.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for port in self.ports:
            self._wait(lambda p=port: _ask(cli, p, "PING") == "PONG", timeout, "PING")
        created = subprocess.run(
            [cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
             "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True, text=True, timeout=timeout)
        if created.returncode != 0:
            self.stop()
            raise RedisServerError(f"redis-cli --cluster create failed:\n{created.stdout}")
        for port in self.ports:
            self._wait(lambda p=port: "cluster_state:ok" in _ask(cli, p, "CLUSTER", "INFO"),
                       timeout, "cluster_state:ok")
        return self

    def _wait(self, check, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.1)
        self.stop()
        raise RedisServerError(f"the Redis Cluster did not reach {what}")

    def stop(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self._procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs = []
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = ""

    def owner(self, slot: int) -> int:
        """The port of the master serving ``slot``."""
        for line in _ask(shutil.which("redis-cli"), self.ports[0], "CLUSTER", "NODES").splitlines():
            fields = line.split()
            if "master" not in fields[2]:
                continue
            for span in fields[8:]:
                first, _, last = span.partition("-")
                if first.isdigit() and int(first) <= slot <= int(last or first):
                    return int(fields[1].split(":")[1].split("@")[0])
        raise RedisServerError(f"no master serves slot {slot}")

    def migrate(self, slot: int, to_port: int, timeout: float = 30.0) -> int:
        """Move ``slot`` and its keys to the master on ``to_port``, the way
        ``redis-cli --cluster reshard`` does: IMPORTING/MIGRATING, MIGRATE in batches, then
        the new owner announced to every master. Returns how many keys moved."""
        cli = shutil.which("redis-cli")
        source = self.owner(slot)
        if source == to_port:
            return 0
        count = 0
        src_id, dst_id = (_ask(cli, p, "CLUSTER", "MYID") for p in (source, to_port))
        _ask(cli, to_port, "CLUSTER", "SETSLOT", str(slot), "IMPORTING", src_id)
        _ask(cli, source, "CLUSTER", "SETSLOT", str(slot), "MIGRATING", dst_id)
        while True:
            found = _ask(cli, source, "CLUSTER", "GETKEYSINSLOT", str(slot), "100").split()
            if not found:
                break
            moved = _ask(cli, source, "MIGRATE", "127.0.0.1", str(to_port), "", "0", "5000",
                         "KEYS", *found)
            if moved != "OK":
                raise RedisServerError(f"MIGRATE of slot {slot} failed: {moved}")
            count += len(found)
        for port in self.ports:
            _ask(cli, port, "CLUSTER", "SETSLOT", str(slot), "NODE", dst_id)
        self._wait(lambda: all(self._sees(p, slot, to_port) for p in self.ports), timeout,
                   f"slot {slot} served by {to_port} everywhere")
        return count

    def _sees(self, port: int, slot: int, owner: int) -> bool:
        for line in _ask(shutil.which("redis-cli"), port, "CLUSTER", "NODES").splitlines():
            fields = line.split()
            if fields and f":{owner}@" in fields[1]:
                return any(str(slot) == span or (span.partition("-")[0].isdigit()
                           and int(span.partition("-")[0]) <= slot <= int(span.partition("-")[2] or -1))
                           for span in fields[8:])
        return False

    def keyslot(self, tag: str) -> int:
        return int(_ask(shutil.which("redis-cli"), self.ports[0], "CLUSTER", "KEYSLOT", tag))

    def __enter__(self) -> RedisCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _ask(cli: str, port: int, *command: str) -> str:
    try:
        done = subprocess.run([cli, "-p", str(port), *command], capture_output=True, text=True,
                              timeout=5)
    except subprocess.TimeoutExpired:
        return ""
    return done.stdout.strip()
