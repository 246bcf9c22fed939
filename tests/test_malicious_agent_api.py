"""The malicious agent's crafted sends in-process (the same tables as the browser suite,
tests/acceptance/test_malicious_agent.py): a clear 4xx for each, in view-only and shared
mode, and nothing relayed to the visitor."""

import pytest

from tests.acceptance.test_malicious_agent import malformed, refused
from tests.test_api import SNAPSHOT, start_session

IDS = {"full-name": 8, "national-id": 7, "card-cvc": 7, "plan": 8}  # 7 is masked (#card)


@pytest.mark.parametrize("mode", ["view", "shared"])
def test_every_crafted_agent_send_gets_a_clear_4xx(visitor, agent, mode):  # noqa: F811
    cid, _ = start_session(visitor, agent, mode)
    visitor.send(SNAPSHOT)
    agent.poll()
    visitor.poll()
    for event in malformed(IDS, cid):
        status, body = agent.send(event, expect=None)
        assert status == 400 and body["ok"] is False and body["error"] and body["message"], (event, body)
    for event, status_wanted, code in refused(IDS, "http://shop.example", mode):
        status, body = agent.send(event, expect=None)
        assert (status, body["error"]) == (status_wanted, code), (event, body)
    assert [e["k"] for e in visitor.poll() if e.get("s", "").startswith("s_")] == []
