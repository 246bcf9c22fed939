"""Trusted proxies and the public origin, in-process (cobrowse/web/proxies.py; issue 12,
item 2). The same through a real nginx: tests/test_behind_proxies.py."""

from __future__ import annotations

import pytest

from cobrowse import create_app
from cobrowse.errors import ConfigError
from cobrowse.web import proxies
from tests.conftest import AGENT_PASSWORD, configure


def make_app(tmp_path, **settings):
    app = create_app({"demo": True, "data_dir": str(tmp_path), "reaper_interval": 3600,
                      **settings})
    configure(app.extensions["cobrowse"])
    return app


def login(app, origin, remote="127.0.0.1", **headers):
    return app.test_client().post(
        "/workspace/api/login", json={"username": "alice", "password": AGENT_PASSWORD},
        headers={"Origin": origin, **headers}, environ_base={"REMOTE_ADDR": remote})


def test_csrf_compares_the_origin_with_the_public_url(tmp_path):
    app = make_app(tmp_path, public_url="https://cobrowse.example.com")
    # The Host the server sees is the proxy's upstream name: only the public URL counts.
    assert login(app, "https://cobrowse.example.com").status_code == 200
    answer = login(app, "http://localhost")
    assert answer.status_code == 403 and answer.get_json()["error"] == "csrf"


def test_without_trusted_proxies_forwarded_headers_are_ignored(tmp_path):
    app = make_app(tmp_path)
    answer = login(app, "https://cobrowse.example.com", X_Forwarded_Host="cobrowse.example.com",
                   X_Forwarded_Proto="https")
    assert answer.status_code == 403


def test_one_trusted_hop_gives_the_client_address_and_the_host(tmp_path):
    app = make_app(tmp_path, trusted_proxies="1", login_slowdown_max=0.01)
    headers = {"X-Forwarded-For": "198.51.100.7, 192.0.2.1", "X-Forwarded-Host": "co.example",
               "X-Forwarded-Proto": "https"}
    assert login(app, "https://co.example", **headers).status_code == 200
    app.test_client().post("/workspace/api/login", json={"username": "x", "password": "y"},
                           headers={"Origin": "https://co.example", **headers})
    broker = app.extensions["cobrowse"].broker
    # The rightmost address (the one our proxy saw), not what the client wrote before it.
    assert broker.get("login:fail:a:192.0.2.1") == "1"
    assert broker.get("login:fail:a:198.51.100.7") is None


def test_trusted_addresses_walk_the_chain_of_trusted_hops():
    fix = proxies.TrustedProxies(lambda e, s: None, proxies.parse("10.0.0.0/8, 192.0.2.1"))
    chain = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.1, 192.0.2.1"}
    assert fix.hops(chain) == 2
    assert fix.hops({**chain, "REMOTE_ADDR": "198.51.100.2"}) == 0  # not from a proxy we trust
    assert fix.hops({"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.1"}) == 1


@pytest.mark.parametrize("setting", ["99", "not-an-address", "10.0.0.0/99"])
def test_a_bad_setting_is_refused_at_start(setting):
    with pytest.raises(ConfigError):
        proxies.parse(setting)


def test_the_public_url_must_be_an_origin(tmp_path):
    with pytest.raises(ConfigError, match="origin"):
        make_app(tmp_path, public_url="https://cobrowse.example.com/workspace/")
