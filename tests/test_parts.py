"""Big sends in parts (cobrowse/transport/parts.py, docs/protocol.md "Parts and lanes"):
reassembled in the broker and applied once, in order, as one send; a missing part keeps the
whole send from being applied; ordinary sends go on between the parts."""

import json

from tests.support.actors import Visitor
from tests.test_api import SNAPSHOT, open_conversation, start_session

CHATS = [{"k": "chat", "text": f"message {n} " + "x" * 300} for n in range(40)]


def test_parts_in_any_order_and_twice_are_applied_once(transport, visitor, agent):
    open_conversation(visitor, agent)
    agent.poll()
    text = json.dumps(CHATS)
    count = -(-len(text) // 1000)
    order = list(reversed(range(count - 1))) + [0, 3, 3]  # reordered and duplicated
    answer = visitor.send_in_parts(CHATS, 1000, order=order)
    assert answer["ok"] and answer["seq"] == visitor.seq and len(answer["results"]) == 40
    got = [e["text"].split(" x")[0] for e in agent.poll() if e["k"] == "chat"]
    assert got == [f"message {n}" for n in range(40)]


def test_a_retried_last_part_gets_the_stored_answer(transport, visitor, agent):
    open_conversation(visitor, agent)
    agent.poll()
    first = visitor.send_in_parts(CHATS[:5], 500, upload="again")
    visitor.seq -= 1  # the answer was lost: the tag sends the last part again
    second = visitor.send_in_parts(CHATS[:5], 500, upload="again", order=[])
    assert first == second
    assert len([e for e in agent.poll() if e["k"] == "chat"]) == 5


def test_a_missing_part_applies_nothing_and_keeps_the_seq(transport, visitor, agent):
    cid, _ = start_session(visitor, agent)
    agent.poll()
    snapshot = dict(SNAPSHOT, title="Big " + "y" * 5000)
    status, body = visitor.send_in_parts([snapshot], 800, upload="gap", skip={2}, expect=None)
    assert status == 409 and body["error"] == "parts" and body["missing"] == [2]
    assert not [e for e in agent.poll() if e["k"] == "snapshot"]
    # The live lane goes on meanwhile: the seq was not consumed by the incomplete send.
    visitor.send({"k": "pointer", "i": 5, "x": 0.5, "y": 0.5})
    answer = visitor.send_in_parts([snapshot], 800, upload="gap", order=[2])
    assert answer["ok"]
    kinds = [e["k"] for e in agent.poll()]
    assert kinds == ["pointer", "snapshot"]


def test_bad_parts_get_clear_refusals(transport, visitor):
    def post(body):
        return visitor.post("/api/v1/send", {"token": visitor.token, **body}, visitor.headers())

    assert post({"upload": "a", "part": [2, 2], "data": ""})[0] == 400
    assert post({"upload": "a b", "part": [0, 2], "data": ""})[1]["error"] == "bad_request"
    assert post({"upload": "a", "part": [0, 2], "data": 5})[0] == 400
    assert post({"upload": "a", "part": [0, 2], "data": "[", "seq": 3})[0] == 400
    assert post({"upload": "a", "part": [1, 2], "data": "["})[0] == 400  # last part without seq
    status, body = post({"upload": "a", "part": [0, 1], "data": "[{", "seq": visitor.seq + 1})
    assert status == 400 and body["error"] == "bad_parts"


def test_uploads_of_two_visitors_do_not_mix(transport, visitor, agent):
    """Uploads are per participant: the same upload id of another visitor is another upload."""
    other = Visitor(transport)
    other.hello()
    open_conversation(visitor, agent)
    agent.poll()
    visitor.send_in_parts(CHATS[:3], 300, upload="same")
    status, body = other.send_in_parts(CHATS[:3], 300, upload="same", skip={0}, expect=None)
    assert status == 409 and body["missing"] == [0]
