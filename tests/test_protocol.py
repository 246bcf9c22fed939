"""The protocol core: permission matrix, event shapes, envelopes. Plain asserts, no I/O."""

import re
from pathlib import Path

import pytest

from cobrowse import protocol
from cobrowse.errors import BadRequest, Refused
from cobrowse.protocol import AGENT, SHARED, VIEW, VISITOR, allowed, normalize

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("kind", ["control.click", "control.input", "control.navigate"])
def test_agent_control_only_in_shared_mode(kind):
    assert allowed(AGENT, SHARED, kind)
    assert not allowed(AGENT, VIEW, kind)
    assert not allowed(AGENT, None, kind)
    assert protocol.refusal(AGENT, VIEW, kind).code == "view_only"


@pytest.mark.parametrize("kind", ["pointer", "highlight", "wiggle", "selection", "scroll"])
def test_agent_highlighting_in_both_modes_but_not_without_session(kind):
    assert allowed(AGENT, VIEW, kind) and allowed(AGENT, SHARED, kind)
    assert not allowed(AGENT, None, kind)


def test_visitor_cannot_send_agent_kinds_and_vice_versa():
    for kind in ("control.click", "invite", "conversation.take", "highlight", "wiggle"):
        assert not allowed(VISITOR, SHARED, kind)
    for kind in ("snapshot", "mutation", "invite.accept", "click", "resize"):
        assert not allowed(AGENT, SHARED, kind)
    assert protocol.refusal(VISITOR, SHARED, "invite").code == "kind_not_allowed"


def test_lifecycle_kinds_need_no_session():
    assert allowed(VISITOR, None, "chat")
    assert allowed(VISITOR, None, "invite.accept")
    assert allowed(AGENT, None, "invite")
    assert not allowed(VISITOR, None, "snapshot")


def test_every_kind_has_a_shape():
    for kind in set(protocol.VISITOR_KINDS) | set(protocol.AGENT_KINDS):
        assert kind in protocol._SHAPES


def test_normalize_keeps_only_known_fields_and_clamps_fractions():
    event = normalize({"k": "pointer", "i": 7, "x": 1.7, "y": -3, "evil": "<script>"})
    assert event == {"k": "pointer", "i": 7, "x": 1.0, "y": 0.0}


@pytest.mark.parametrize("event, reason", [
    ("text", "JSON object"),
    ({"k": "nope"}, "unknown event kind"),
    ({"k": "pointer", "i": "3", "x": 0, "y": 0}, "node id"),
    ({"k": "pointer", "i": True, "x": 0, "y": 0}, "node id"),
    ({"k": "pointer", "i": 0, "x": 0, "y": 0}, "valid node id"),
    ({"k": "scroll", "i": 1, "x": float("nan"), "y": 0}, "finite"),
    ({"k": "chat", "text": "   "}, "empty"),
    ({"k": "chat", "text": "x" * 5000}, "longer than"),
    ({"k": "invite", "conversation": "c_1", "mode": "god"}, "one of"),
    ({"k": "invite", "conversation": "../../etc", "mode": "view"}, "identifier"),
    ({"k": "control.navigate", "url": "javascript:alert(1)"}, "http(s)"),
    ({"k": "control.navigate", "url": "/relative"}, "http(s)"),
    ({"k": "control.input", "i": 4}, "needs 'value'"),
    ({"k": "control.input", "i": 4, "selected": [1, "x"]}, "option indexes"),
    ({"k": "selection", "r": [1, 2, 3]}, "startId"),
])
def test_normalize_refuses_bad_shapes_with_a_reason(event, reason):
    with pytest.raises(BadRequest, match=re.escape(reason)):
        normalize(event)


@pytest.mark.parametrize("body, reason", [
    ([], "JSON object"),
    ({"seq": 1, "events": [{}]}, "token"),
    ({"token": "t" * 20, "seq": 0, "events": [{}]}, "positive integer"),
    ({"token": "t" * 20, "seq": 1.5, "events": [{}]}, "positive integer"),
    ({"token": "t" * 20, "seq": 1, "events": []}, "non-empty"),
])
def test_parse_send_refuses_bad_envelopes(body, reason):
    with pytest.raises(BadRequest, match=re.escape(reason)):
        protocol.parse_send(body, max_events=10)


def test_parse_send_caps_the_batch():
    with pytest.raises(BadRequest) as err:
        protocol.parse_send({"token": "t" * 20, "seq": 1, "events": [{}] * 11}, max_events=10)
    assert err.value.status == 413


def test_cursors_must_be_non_negative_integers():
    assert protocol.parse_cursors({"inbox": 3}) == {"inbox": 3}
    for bad in ({"inbox": -1}, {"inbox": "3"}, [1], {str(i): 0 for i in range(20)}):
        with pytest.raises(BadRequest):
            protocol.parse_cursors(bad)


def test_refusal_is_a_403():
    assert isinstance(protocol.refusal(AGENT, VIEW, "control.click"), Refused)
    assert protocol.refusal(AGENT, VIEW, "control.click").status == 403


def _js_list(path: Path, name: str) -> list[str]:
    source = path.read_text()
    body = re.search(name + r"\s*=\s*Object\.freeze\(\[(.*?)\]\)", source, re.S).group(1)
    return re.findall(r"['\"]([a-z.]+)['\"]", body)


@pytest.mark.parametrize("path", ["tag/src/kinds.js", "workspace/js/kinds.js"])
def test_javascript_kind_lists_agree_with_python(path):
    assert _js_list(ROOT / path, "VISITOR_KINDS") == list(protocol.VISITOR_KINDS)
    assert _js_list(ROOT / path, "AGENT_KINDS") == list(protocol.AGENT_KINDS)


# --- annotations (issue 15) -----------------------------------------------------------------

@pytest.mark.parametrize("mode", [protocol.VIEW, protocol.SHARED])
def test_annotations_are_highlighting_allowed_in_both_modes(mode):
    assert protocol.allowed(protocol.AGENT, mode, "annotate")
    assert protocol.allowed(protocol.AGENT, mode, "annotate.clear")
    assert protocol.allowed(protocol.VISITOR, mode, "annotate.clear")
    assert not protocol.allowed(protocol.VISITOR, mode, "annotate")
    assert not protocol.allowed(protocol.AGENT, None, "annotate")


def test_annotate_keeps_anchored_points_and_flags():
    ev = normalize({"k": "annotate", "a": 7, "tool": "pen", "p": [[5, 0, 1], [6, 0.25, 0.5]],
                    "end": True, "pin": False, "extra": "dropped"})
    assert ev == {"k": "annotate", "a": 7, "tool": "pen", "p": [[5, 0.0, 1.0], [6, 0.25, 0.5]],
                  "end": True, "pin": False}
    rect = normalize({"k": "annotate", "a": 1, "tool": "rect", "p": [[5, 0.1, 0.1], [9, 0.9, 0.9]]})
    assert rect["p"][1] == [9, 0.9, 0.9] and "end" not in rect


@pytest.mark.parametrize("event, reason", [
    ({"k": "annotate", "a": 1, "tool": "pen", "p": []}, "non-empty"),
    ({"k": "annotate", "a": 1, "tool": "pen", "p": [[5, 0.5, 0.5]] * 65}, "at most 64"),
    ({"k": "annotate", "a": 1, "tool": "pen", "p": [[5, 1.5, 0.5]]}, "fractions from 0 to 1"),
    ({"k": "annotate", "a": 1, "tool": "pen", "p": [[5, float("nan"), 0.5]]}, "fractions"),
    ({"k": "annotate", "a": 1, "tool": "pen", "p": [[5, True, 0.5]]}, "fractions"),
    ({"k": "annotate", "a": 1, "tool": "pen", "p": [[0, 0.5, 0.5]]}, "node id"),
    ({"k": "annotate", "a": 1, "tool": "pen", "p": [[5, 0.5]]}, "[nodeId, x, y]"),
    ({"k": "annotate", "a": 1, "tool": "arrow", "p": [[5, 0.5, 0.5]]}, "two points"),
    ({"k": "annotate", "a": 1, "tool": "laser", "p": [[5, 0.5, 0.5]]}, "one of"),
    ({"k": "annotate", "a": 0, "tool": "pen", "p": [[5, 0.5, 0.5]]}, "stroke id"),
    ({"k": "annotate", "a": 2**31, "tool": "pen", "p": [[5, 0.5, 0.5]]}, "stroke id"),
    ({"k": "annotate", "a": 1, "tool": "pen", "p": [[5, 0.5, 0.5]], "pin": 1}, "true or false"),
])
def test_annotate_refuses_bad_shapes(event, reason):
    with pytest.raises(BadRequest, match=re.escape(reason)):
        normalize(event)


# --- a second agent joins (issue 15, item 2) --------------------------------------------------

def test_join_kinds_are_lifecycle_kinds_with_ids():
    assert allowed(AGENT, None, "join") and allowed(AGENT, None, "join.leave")
    assert allowed(AGENT, None, "join.accept") and allowed(VISITOR, None, "join.accept")
    assert not allowed(VISITOR, None, "join") and not allowed(VISITOR, None, "join.leave")
    assert {"join", "join.accept", "join.decline", "join.leave"} <= protocol.LIFECYCLE_KINDS
    assert normalize({"k": "join", "session": "s_1", "x": 1}) == {"k": "join", "session": "s_1"}
    assert normalize({"k": "join.decline", "join": "j_2"}) == {"k": "join.decline", "join": "j_2"}
    with pytest.raises(BadRequest, match="valid identifier"):
        normalize({"k": "join", "session": "s 1"})
    with pytest.raises(BadRequest, match="'join'"):
        normalize({"k": "join.accept"})


def test_a_watchers_refusal_says_why():
    err = protocol.watcher_refusal("pointer")
    assert err.status == 403 and err.code == "watcher" and "'pointer'" in err.message
