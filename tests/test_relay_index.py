"""The page index through the HTTP API (issue 10, item 9): a removal deletes the removed
node's whole subtree from the session's index hash, and later ops on those nodes never
reach the agent."""

from cobrowse.storage import keys
from tests.test_api import start_session

DOC = {"i": 1, "t": 9, "c": [
    {"i": 2, "t": 10, "n": "html"},
    {"i": 3, "t": 1, "n": "html", "c": [
        {"i": 4, "t": 1, "n": "body", "c": [
            {"i": 5, "t": 1, "n": "div", "c": [
                {"i": 6, "t": 1, "n": "blockquote", "a": {"cite": "javascript:alert(1)"}, "c": [
                    {"i": 7, "t": 3, "x": "quote"}]},
                {"i": 8, "t": 1, "n": "img", "a": {"usemap": "#m", "src": "/a.png"}}]},
            {"i": 9, "t": 1, "n": "p", "c": [{"i": 10, "t": 3, "x": "stays"}]}]}]}]}
SNAPSHOT = {"k": "snapshot", "doc": DOC, "url": "http://shop.example/page", "title": "Shop",
            "vw": 1280, "vh": 720, "sx": 0, "sy": 0}


def _index(core, sid, ids):
    values = core.broker.hget_many(keys.session_index(sid), [str(i) for i in ids])
    return dict(zip(ids, values, strict=True))


def test_a_removed_subtree_leaves_the_index_and_its_ops_are_dropped(core, visitor, agent):  # noqa: F811
    _, sid = start_session(visitor, agent, "view")
    visitor.send(SNAPSHOT)
    snap = [e for e in agent.poll() if e["k"] == "snapshot"][0]
    quote = snap["doc"]["c"][1]["c"][0]["c"][0]["c"][0]
    assert quote["n"] == "blockquote" and "cite" not in quote["a"]
    assert all(_index(core, sid, [5, 6, 7, 8]).values())
    visitor.send({"k": "mutation", "m": [{"o": "rm", "i": 5}]})
    assert [e["m"] for e in agent.poll() if e["k"] == "mutation"] == [[{"o": "rm", "i": 5}]]
    assert _index(core, sid, [5, 6, 7, 8]) == {5: None, 6: None, 7: None, 8: None}
    assert _index(core, sid, [9, 10])[9] is not None
    visitor.send({"k": "mutation", "m": [
        {"o": "text", "i": 7, "x": "changed"},
        {"o": "attr", "i": 8, "a": "src", "v": "/b.png"},
        {"o": "add", "p": 6, "b": None, "n": {"i": 50, "t": 1, "n": "b", "c": []}},
        {"o": "text", "i": 10, "x": "still here"}]})
    got = [e["m"] for e in agent.poll() if e["k"] == "mutation"]
    assert got == [[{"o": "text", "i": 10, "x": "still here"}]]
    assert _index(core, sid, [50])[50] is None
