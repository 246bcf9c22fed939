"""A real OpenID Connect provider for the SSO tests: the `oidc-provider` npm package
(tests/oidc/package.json, pinned by its lockfile) run with Node on 127.0.0.1.

The package is installed with ``npm ci`` into a cache folder outside the repository, once per
lockfile (``COBROWSE_TEST_CACHE`` or ``~/.cache/cobrowse-tests``), then reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.support.processes import stop as stop_process

HERE = Path(__file__).resolve().parent.parent / "oidc"
NODE = shutil.which("node") or "/usr/bin/node"
NPM = shutil.which("npm") or "/usr/bin/npm"


class ProviderError(RuntimeError):
    pass


def install() -> Path:
    """The folder with oidc-provider installed (npm ci on first use)."""
    lock = (HERE / "package-lock.json").read_bytes()
    base = Path(os.environ.get("COBROWSE_TEST_CACHE") or Path.home() / ".cache" / "cobrowse-tests")
    folder = base / f"oidc-{hashlib.sha256(lock).hexdigest()[:12]}"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json", "provider.mjs"):
        shutil.copyfile(HERE / name, folder / name)
    if not (folder / "node_modules" / "oidc-provider" / "package.json").exists():
        done = subprocess.run([NPM, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder,
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise ProviderError(f"npm ci of oidc-provider failed:\n{done.stdout}\n{done.stderr}")
    return folder


class OidcProvider:
    """``node provider.mjs`` on ``port`` with the given clients."""

    def __init__(self, port: int, clients: list[dict]):
        self.port = port
        self.issuer = f"http://127.0.0.1:{port}"
        self.clients = clients
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> OidcProvider:
        folder = install()
        self.log_path = folder / f"provider-{self.port}.log"
        self._log = open(self.log_path, "wb")
        env = {**os.environ, "PORT": str(self.port), "OIDC_CLIENTS": json.dumps(self.clients),
               "NODE_ENV": "development"}
        self.proc = subprocess.Popen([NODE, "provider.mjs"], cwd=folder, env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ProviderError(f"oidc-provider exited:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.issuer}/.well-known/openid-configuration",
                                            timeout=1) as response:
                    self.meta = json.loads(response.read())
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise ProviderError(f"oidc-provider did not answer in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        stop_process(self.proc)
        if getattr(self, "_log", None):
            self._log.close()
