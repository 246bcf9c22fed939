"""Refused crafted input writes one log line, rate-limited per participant, never a traceback
(issue 10, item 8)."""

import logging

from cobrowse.rules.refusals import RefusalLog
from tests.support.actors import Visitor
from tests.test_api import start_session

BAD_SNAPSHOTS = [
    {"k": "snapshot", "doc": 5, "url": "http://shop.example/", "vw": 1, "vh": 1, "sx": 0, "sy": 0},
    {"k": "snapshot", "doc": {"i": 1, "t": 1, "n": "div"}, "url": "http://shop.example/", "vw": 1,
     "vh": 1, "sx": 0, "sy": 0},
    {"k": "snapshot", "doc": {"i": -4, "t": 9, "c": "not a list"}, "url": "http://shop.example/",
     "vw": 1, "vh": 1, "sx": 0, "sy": 0},
]


def refusal_records(caplog):
    return [r for r in caplog.records if r.name == "cobrowse.refusals"]


def test_a_refused_snapshot_is_one_line_without_traceback(caplog, visitor, agent):  # noqa: F811
    start_session(visitor, agent, "shared")
    caplog.set_level(logging.INFO)
    for _ in range(4):
        for bad in BAD_SNAPSHOTS:
            assert visitor.send(bad, expect=400)["error"] == "bad_snapshot"
    assert visitor.send({"k": "mutation", "m": "not a list"}, expect=400)["error"] == "bad_mutation"
    lines = refusal_records(caplog)
    assert len(lines) == 3  # the burst; the other ten are counted, not written
    for record in lines:
        text = record.getMessage()
        assert text.startswith("refused bad_snapshot from v_") and "snapshot refused:" in text
        assert record.exc_info is None and record.levelno == logging.INFO
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    # The agent's refusals are counted on their own budget.
    agent.send({"k": "control.click", "i": 424242}, expect=403)
    assert refusal_records(caplog)[-1].getMessage().startswith("refused unknown_node from agent alice")


def test_each_participant_has_its_own_budget(caplog, transport, visitor, agent):  # noqa: F811
    start_session(visitor, agent, "shared")
    caplog.set_level(logging.INFO)
    for _ in range(5):
        visitor.send(BAD_SNAPSHOTS[0], expect=400)
    other = Visitor(transport)
    other.hello()
    start_session(other, agent_for(transport), "shared")
    other.send(BAD_SNAPSHOTS[0], expect=400)
    who = [r.getMessage().split(" from ")[1].split(":")[0] for r in refusal_records(caplog)]
    assert len(who) == 4 and len(set(who)) == 2 and who.count(who[-1]) == 1


def agent_for(transport):
    from tests.conftest import AGENT_PASSWORD
    from tests.support.actors import Agent

    second = Agent(transport)
    second.login("bob", AGENT_PASSWORD)
    return second


def test_the_budget_comes_back_and_says_what_was_left_out(caplog):
    now = [0.0]
    refusals = RefusalLog(burst=2, interval=60, clock=lambda: now[0])
    caplog.set_level(logging.INFO)
    written = [refusals.note("v_1", "bad_snapshot", "x") for _ in range(5)]
    assert written == [True, True, False, False, False]
    now[0] = 61
    assert refusals.note("v_1", "bad_snapshot", "again\nwith   newlines")
    last = refusal_records(caplog)[-1].getMessage()
    assert last == "refused bad_snapshot from v_1: again with newlines (3 more refused since, not logged)"


def test_tracked_participants_are_bounded():
    refusals = RefusalLog(burst=1, max_tracked=100)
    for n in range(1000):
        refusals.note(f"v_{n}", "bad_snapshot", "x")
    assert len(refusals._windows) == 100
