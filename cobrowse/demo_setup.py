"""Demo mode: the demo site's configuration and a demo agent whose password is generated at
every start and printed once (never a fixed default)."""

from __future__ import annotations

import os
import secrets

from cobrowse.config import DEMO_SITE
from cobrowse.core import make_directory
from cobrowse.rules.passwords import hash_password
from cobrowse.storage import create_broker
from cobrowse.storage.directory import Agent, Site

#: The demo insurance form's card number is masked by this server-side selector.
DEMO_MASK = ["#card-number", "input[name=card-number]"]


def prepare_demo(config, port: str, print_to=None) -> str:
    """Write the demo site and agent; returns the agent's new password."""
    broker = create_broker(config.redis_url or None)
    try:
        directory = make_directory(config, broker)
        origins = [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]
        if config.public_url:
            origins.append(config.public_url)
        directory.put_site(Site(id=DEMO_SITE, origins=origins, mask=list(DEMO_MASK)))
        password = config.demo_password or secrets.token_urlsafe(9)
        directory.put_agent(Agent(name=config.demo_agent, password_hash=hash_password(password),
                                  display="Demo Agent"))
    finally:
        broker.close()
    if print_to is not None:
        base = config.public_url or f"http://localhost:{port}"
        print(f"""
  CoBrowse demo is running.
    Visitor (the brand's site):  {base}/demo/
    Agent workspace:             {base}/workspace/
    Agent sign-in:               user {config.demo_agent!r}, password {password!r}
  (the password is new at every start; it is shown only here)
""", file=print_to, flush=True)
    os.environ.setdefault("COBROWSE_DEMO_READY", "1")
    return password
