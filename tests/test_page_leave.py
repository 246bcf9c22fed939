"""A visitor leaving the page (the tag's pagehide beacon) while a send is still in flight:
the leave is never lost to a sequence race, and the old page's late events do not bring the
visitor back; only the next page's snapshot does. Found by the acceptance suite
(test_session_ui.py::test_status_away_while_the_visitor_is_off_the_site)."""

from tests.test_api import SNAPSHOT, start_session

POINTER = {"k": "pointer", "i": 5, "x": 0.5, "y": 0.5}
LEAVE = {"k": "page", "state": "leave"}


def presence(who):
    events = [e for e in who.seen if e["k"] == "presence"]
    return [e["visitor"] for e in events]


def test_leave_beacon_may_skip_the_send_lost_with_the_page(visitor, agent):  # noqa: F811
    start_session(visitor, agent)
    visitor.send(SNAPSHOT)
    lost = visitor.seq + 1  # in flight when the page went away, cancelled by the browser
    visitor.send(POINTER, LEAVE, seq=lost + 1)
    agent.poll()
    assert presence(agent) == ["away"]
    assert agent.state["session"]["visitor"] == "away"
    status, body = visitor.send(POINTER, seq=lost, expect=None)  # arrives late after all
    assert status == 409 and body["error"] == "seq"


def test_only_page_leave_beacons_skip_ahead(visitor, agent):  # noqa: F811
    start_session(visitor, agent)
    status, body = visitor.send(POINTER, seq=visitor.seq + 2, expect=None)
    assert status == 409 and body["expected"] == visitor.seq + 1


def test_late_events_of_the_old_page_do_not_bring_the_visitor_back(visitor, agent):  # noqa: F811
    start_session(visitor, agent)
    visitor.send(SNAPSHOT)
    visitor.send(LEAVE)
    visitor.send(POINTER)  # sent by the old page before it left, applied after the leave
    agent.poll()
    assert presence(agent) == ["away"]
    visitor.send(SNAPSHOT)  # the next page
    agent.poll()
    assert presence(agent) == ["away", "here"]
    assert agent.state["session"]["visitor"] == "here"


def test_silent_visitor_comes_back_with_any_event(core, visitor, agent):  # noqa: F811
    _, sid = start_session(visitor, agent)
    sess = core.lifecycle.session(sid)
    from cobrowse.storage.outbox import Outbox
    out = Outbox()
    core.lifecycle.set_presence(sess, "away", out)
    out.flush(core.broker)
    visitor.send(POINTER)
    agent.poll()
    assert presence(agent) == ["away", "here"]
