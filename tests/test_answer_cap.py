"""Poll answers are capped like sends (docs/protocol.md "Answers are capped the same way"):
a backlog goes out over several polls, each answer at most ``max_answer`` bytes, in order and
exactly once; an event bigger than the cap (a sanitized snapshot for the agent) is stored as
``part`` events that join back into the same event. Through the real server code, on the
memory and the Redis broker."""

import json

import pytest

from cobrowse import create_app
from cobrowse.answer_parts import as_parts, cut
from cobrowse.storage import create_broker, keys
from tests.conftest import AGENT_PASSWORD, configure
from tests.support.actors import Agent, Visitor
from tests.test_api import SNAPSHOT, open_conversation, start_session

CAP = 16 * 1024


@pytest.fixture(params=["memory", "redis"])
def measured(request, tmp_path):
    """(transport, sizes): the Flask client, and the byte size of every poll answer."""
    settings = {"demo": True, "data_dir": str(tmp_path), "poll_hold": 2.0,
                "reaper_interval": 3600, "webhook_interval": 3600, "max_answer": CAP}
    broker = None
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings["redis_url"] = url
        broker = create_broker(url, prefix=f"cap{tmp_path.name[-8:]}:")
    app = create_app(settings, broker=broker)
    configure(app.extensions["cobrowse"])
    client = app.test_client()
    sizes: list[int] = []

    def post(path, body, headers=None, raw=None, method="POST"):
        response = client.post(path, data=json.dumps(body),
                               headers={"Content-Type": "text/plain;charset=UTF-8",
                                        **(headers or {})})
        if path == "/api/v1/poll":
            sizes.append(len(response.data))
        return response.status_code, response.get_json(force=True)

    post.core = app.extensions["cobrowse"]
    yield post, sizes
    app.extensions["cobrowse"].drain()


def signed_in(transport):
    """A visitor said hello and alice signed in, through the capped server."""
    visitor, agent = Visitor(transport), Agent(transport)
    visitor.hello()
    agent.login("alice", AGENT_PASSWORD)
    return visitor, agent


def drain(participant, sizes):
    """Poll until nothing is left; returns the events, and the answers' sizes."""
    sizes.clear()
    got = []
    while True:
        fresh = participant.poll()
        if not fresh:
            return got, sizes[:-1]
        got.extend(fresh)


def test_a_backlog_comes_over_several_capped_polls_in_order_exactly_once(measured):
    transport, sizes = measured
    visitor, agent = signed_in(transport)
    start_session(visitor, agent)
    for batch in range(6):
        visitor.send(*[{"k": "scroll", "i": 1, "x": 0, "y": batch * 100 + n} for n in range(100)])
    visitor.send(*[{"k": "chat", "text": f"{n} " + "é" * 3000} for n in range(8)])
    got, answered = drain(agent, sizes)
    ys = [e["y"] for e in got if e["k"] == "scroll"]
    assert ys == list(range(600))
    assert [e["text"].split()[0] for e in got if e["k"] == "chat"] == [str(n) for n in range(8)]
    assert len(answered) >= 4 and max(answered) <= CAP
    ids = [(e["s"], e["id"]) for e in got]
    assert len(ids) == len(set(ids))


def test_a_snapshot_over_the_cap_reaches_the_agent_in_parts_that_join(measured):
    transport, sizes = measured
    visitor, agent = signed_in(transport)
    start_session(visitor, agent)
    body = {"i": 4, "t": 1, "n": "body", "a": {},
            "c": [{"i": 10 + n, "t": 1, "n": "p", "a": {"title": "\"q\" ü " * 20},
                   "c": [{"i": 5000 + n, "t": 3, "x": f"line {n} " + "ö" * 40}]}
                  for n in range(400)]}
    doc = {"i": 1, "t": 9, "c": [{"i": 2, "t": 1, "n": "html", "a": {}, "c": [
        {"i": 3, "t": 1, "n": "head", "a": {}, "c": []}, body]}]}
    visitor.send(dict(SNAPSHOT, doc=doc))
    visitor.send({"k": "pointer", "i": 10, "x": 0.5, "y": 0.5})
    got, answered = drain(agent, sizes)
    parts = [e for e in got if e["k"] == "part"]
    assert len(parts) >= 3 and max(answered) <= CAP
    assert [p["part"] for p in parts] == [[n, len(parts)] for n in range(len(parts))]
    snap = json.loads("".join(p["data"] for p in parts))
    assert snap["k"] == "snapshot"
    texts = [p["c"][0]["x"] for p in snap["doc"]["c"][0]["c"][1]["c"]]
    assert texts == [f"line {n} " + "ö" * 40 for n in range(400)]
    assert got[-1]["k"] == "pointer"  # after the parts, in order
    # Where a watcher admitted later starts: the big snapshot's first part.
    assert all(p["of"] == "snapshot" for p in parts)
    mark = transport.core.broker.get(keys.session_snapshot(agent.state["session"]["id"]))
    assert int(mark) == parts[0]["id"]


def test_small_events_are_never_cut():
    event = {"k": "pointer", "i": 3, "x": 0.1, "y": 0.2}
    assert as_parts(event, CAP) == [event]


@pytest.mark.parametrize("text", ['"\\' * 5000, "ü€😀" * 3000, "plain" * 4000])
def test_cut_slices_fit_the_budget_and_join_back(text):
    slices = cut(text, 4000)
    assert "".join(slices) == text
    assert all(len(json.dumps(s, ensure_ascii=False).encode()) <= 4000 for s in slices)


def test_the_chat_backlog_of_a_conversation_is_capped_too(measured):
    transport, sizes = measured
    visitor, agent = signed_in(transport)
    cid = open_conversation(visitor, agent)
    for n in range(12):
        agent.send({"k": "chat", "conversation": cid, "text": f"{n} " + "x" * 3900})
    got, answered = drain(visitor, sizes)
    texts = [e["text"].split()[0] for e in got if e["k"] == "chat" and e["from"] == "agent"]
    assert texts == [str(n) for n in range(12)]
    assert max(answered) <= CAP
