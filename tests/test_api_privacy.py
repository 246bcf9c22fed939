"""Issue 14 at the API, in-process: the server's own checks behind the tag's (pause refusals,
--pause pages, --no-control refusals from the page index, per-page rules)."""

import json

import pytest

from cobrowse.storage.directory import Site
from tests.test_api import SNAPSHOT, start_session


def shop(core, **rules):
    core.directory.put_site(Site(id="shop", origins=["http://shop.example"], **rules))


def test_pause_refuses_page_events_and_control_until_resume(core, visitor, agent):
    start_session(visitor, agent, "shared")
    visitor.send(SNAPSHOT)
    agent.poll()
    visitor.send({"k": "session.pause", "by": "visitor"})
    assert agent.last("session.pause") if agent.poll() else False
    assert agent.last("session.pause")["by"] == "visitor"
    refused = visitor.send(SNAPSHOT, expect=403)
    assert refused["error"] == "paused"
    assert visitor.send({"k": "pointer", "i": 5, "x": 0.1, "y": 0.1}, expect=403)["error"] == "paused"
    assert agent.send({"k": "control.click", "i": 5}, expect=403)["error"] == "paused"
    agent.send({"k": "pointer", "i": 5, "x": 0.5, "y": 0.5})  # pointing is no control
    visitor.send({"k": "session.resume"}, SNAPSHOT)  # one send: resume, then the fresh page
    assert [k for k in agent.kinds(agent.poll()) if k != "presence"][-2:] == ["session.resume",
                                                                                "snapshot"]
    agent.send({"k": "control.click", "i": 5})


def test_a_pause_page_snapshot_is_refused(core, visitor, agent):
    shop(core, mask=["#card"], pause=["/account/*"])
    start_session(visitor, agent, "shared")
    page = {**SNAPSHOT, "url": "http://shop.example/account/settings"}
    assert visitor.send(page, expect=403)["error"] == "paused_page"
    visitor.send(SNAPSHOT)


def test_no_control_is_refused_from_the_page_index(core, visitor, agent):
    shop(core, no_control=["#name"])
    start_session(visitor, agent, "shared")
    visitor.send(SNAPSHOT)
    snap = [e for e in agent.poll() if e["k"] == "snapshot"][0]
    assert "nc" in json.dumps(snap)
    for event in ({"k": "control.click", "i": 8}, {"k": "control.input", "i": 8, "value": "x"}):
        refused = agent.send(event, expect=403)
        assert refused["error"] == "no_control" and "only the visitor" in refused["message"]
    agent.send({"k": "control.click", "i": 5})


def test_rules_apply_on_their_pages_only(core, visitor, agent):
    shop(core, mask=["/checkout/* #name"])
    start_session(visitor, agent, "shared")
    doc = json.loads(json.dumps(SNAPSHOT["doc"]))
    doc["c"][1]["c"][0]["c"][2]["a"]["value"] = "Ada Lovelace"
    visitor.send({**SNAPSHOT, "doc": doc})
    assert "Ada Lovelace" in json.dumps(agent.poll())
    visitor.send({**SNAPSHOT, "doc": doc, "url": "http://shop.example/checkout/pay"})
    assert "Ada Lovelace" not in json.dumps(agent.poll())


def test_site_rules_are_checked(core):
    from cobrowse.errors import BadRequest

    for bad in ({"unmask": [".x"]}, {"pause": ["checkout"]}, {"no_control": ["/a/* [["]}):
        with pytest.raises(BadRequest):
            shop(core, **bad)
    shop(core, private=True, unmask=["/help/* .faq"], no_control=["/checkout/* #pay"],
         pause=["/account/*"])


SECRETS = ["SECRETTEXT1", "SECRETVALUE2", "SECRETATTR3", "SECRETTITLE4", "SECRETQUERY5",
           "SECRETTYPED6", "SECRETALT7"]


def secret_snapshot(url="http://shop.example/account/overview?token=SECRETQUERY5#SECRETQUERY5"):
    doc = {"i": 1, "t": 9, "c": [{"i": 2, "t": 1, "n": "html", "c": [
        {"i": 3, "t": 1, "n": "head", "c": [
            {"i": 9, "t": 1, "n": "title", "c": [{"i": 10, "t": 3, "x": "SECRETTITLE4"}]}]},
        {"i": 4, "t": 1, "n": "body", "c": [
            {"i": 5, "t": 1, "n": "p", "a": {"data-x": "SECRETATTR3"},
             "c": [{"i": 6, "t": 3, "x": "SECRETTEXT1"}]},
            {"i": 7, "t": 1, "n": "input", "a": {"id": "name", "value": "SECRETVALUE2"}},
            {"i": 8, "t": 1, "n": "img", "a": {"alt": "SECRETALT7", "src": "/a.png"}},
        ]}]}]}
    return {**SNAPSHOT, "doc": doc, "url": url, "title": "SECRETTITLE4"}


def test_the_audit_trail_of_a_whole_session_has_every_step_and_no_content(core, visitor, agent,
                                                                          transport):
    from cobrowse.rules.audit import Audit

    shop(core, mask=["#card"], no_control=["#name"])
    _, sid = start_session(visitor, agent, "view")
    visitor.send(secret_snapshot())
    agent.poll()
    agent.send({"k": "control.click", "i": 5}, expect=403)  # view only
    asked = agent.send({"k": "session.mode", "mode": "shared"})  # asks the visitor (issue 10)
    visitor.send({"k": "mode.accept", "request": asked["results"][0]["request"]})
    agent.send({"k": "control.click", "i": 5})
    agent.send({"k": "control.click", "i": 5})
    agent.send({"k": "control.input", "i": 7, "value": "SECRETTYPED6"}, expect=403)  # no-control
    agent.send({"k": "control.navigate", "url": "http://shop.example/help?q=SECRETQUERY5"})
    visitor.send({"k": "session.pause", "by": "visitor"})
    agent.send({"k": "control.click", "i": 5}, expect=403)  # paused
    visitor.send({"k": "session.resume"}, secret_snapshot("http://shop.example/help?q=SECRETQUERY5"))
    visitor.send({"k": "session.end"})

    record = Audit(core.broker, core.config).show(sid)
    assert record["session"] == sid and record["agent"] == "alice" and record["site"] == "shop"
    assert record["invitation"] == "accepted" and record["end_reason"] == "visitor"
    assert record["pages"] == ["/account/overview", "/help"]
    assert record["controls"] == {"control.click": 2, "control.navigate": 1}
    assert record["refusals"] == {"view_only": 1, "no_control": 1, "paused": 1}
    assert record["pauses"] == 1
    assert [s["e"] for s in record["steps"]] == [
        "invited", "invitation", "session.started", "page", "refused", "mode", "refused",
        "paused", "refused", "resumed", "page", "control", "control", "session.ended"]
    assert [s.get("mode") for s in record["steps"] if s["e"] == "mode"] == ["shared"]
    everything = json.dumps(record) + json.dumps(core.broker.hgetall("audit:index"))
    for secret in SECRETS:
        assert secret not in everything, secret
    # The co-browse data itself is gone; the trail stays, as long as transcripts.
    assert core.broker.get(f"s:{{{sid}}}:idx") is None
    # A declined invitation has a trail too.
    cid = visitor.state["conversation"]["id"] if visitor.state.get("conversation") else None
    iid = agent.send({"k": "invite", "conversation": cid or record["conversation"],
                      "mode": "view"})["results"][0]["invitation"]
    visitor.send({"k": "invite.decline", "invitation": iid})
    declined = Audit(core.broker, core.config).show(iid)
    assert declined["invitation"] == "declined" and declined["session"] is None
