"""What the server keeps: the chat transcript, without the co-browse invitation text; and
nothing of a co-browse session once it has ended (sessions are neither recorded nor stored)."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from tests.acceptance import flows
from tests.acceptance.support_privacy import marker, redis_hits, replica_has_text, replica_value

#: The agent's page asks the server for a conversation's transcript with its own token (the
#: same call the workspace makes when it opens a conversation).
TRANSCRIPT = """async (conversation) => {
  const me = await (await fetch('/workspace/api/me')).json();
  const res = await fetch('/api/v1/agent/transcript', {method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({token: me.token, conversation})});
  return {status: res.status, body: await res.json()};
}"""


def test_transcript_keeps_the_chat_without_the_invitation_text(visitor_context, visitor, agent,
                                                               redis_client):
    polls = []
    visitor_context.on("response", lambda r: polls.append(r) if "/api/v1/poll" in r.url else None)
    hello = flows.visitor_chat(visitor)
    conversation = flows.agent_take(agent, hello)
    reply = flows.agent_chat(agent)
    flows.agent_invite(agent, "shared")
    card = flows.visitor_invite_card(visitor)
    expect(card).to_be_visible()
    flows.visitor_accept(visitor)
    flows.wait_status(agent, "active")
    later = flows.visitor_chat(visitor, flows.unique("During the co-browse"))
    expect(agent.get_by_test_id("chat-message").filter(has_text=later)).to_be_visible()
    agent.get_by_test_id("cobrowse-end").click()
    flows.wait_ended(visitor, agent)

    # The invitation's text, as the server sent it to the visitor's tag.
    invites = [ev for r in polls if r.ok for ev in poll_events(r) if ev.get("k") == "invite"]
    assert invites, "the visitor received no invitation"
    invitation = invites[0]["text"]
    assert "would like to see this tab" in invitation

    answer = agent.evaluate(TRANSCRIPT, conversation)
    assert answer["status"] == 200, answer
    messages = answer["body"]["messages"]
    assert [(m["from"], m["text"]) for m in messages] == [
        ("visitor", hello), ("agent", reply), ("visitor", later)]

    # The stored transcript itself (not only the API's view of it) holds no invitation.
    [log_key] = list(redis_client.scan_iter(match=f"*c:{{{conversation}}}:log", count=1000))
    stored = redis_client.lrange(log_key, 0, -1)
    assert [json.loads(m)["text"] for m in stored] == [hello, reply, later]
    assert not any(invitation.encode() in m or b"would like to see" in m for m in stored)

    # What the agent sees after a reload (the transcript again) has no invitation either.
    agent.reload()
    flows.conversation_item(agent, later).click()
    shown = agent.get_by_test_id("chat-message")
    expect(shown).to_have_count(3)
    assert not any("would like to see" in t for t in shown.all_inner_texts())


def poll_events(response) -> list[dict]:
    try:
        return response.json().get("events", [])
    except Exception:  # noqa: BLE001 - a poll cut short by a page change has no body
        return []


def test_no_session_content_is_left_in_redis_after_the_end(visitor, agent, redis_client, stack):
    # The page carries text that exists nowhere else, so a hit can only be this session's.
    page_text = marker("PageText")
    typed = marker("Typed")
    visitor.goto(f"{stack.base}/demo/insurance.html")
    visitor.wait_for_function("!!(window.CoBrowse && CoBrowse.info)")
    visitor.evaluate("t => { document.querySelector('h1').textContent = t; }", page_text)
    flows.start_cobrowse(visitor, agent, "shared")
    sid = visitor.evaluate("CoBrowse.info().session.id")
    replica_has_text(agent, page_text)
    visitor.locator("#full-name").press_sequentially(typed)
    replica_value(agent, "#full-name", typed)
    later_text = marker("Mutation")
    visitor.evaluate("t => { document.querySelector('h1').textContent = t; }", later_text)
    replica_has_text(agent, later_text)

    # While the session runs, Redis does hold its content (so the scan below can see it).
    for needle in (page_text, typed, later_text):
        assert redis_hits(redis_client, needle), f"{needle} not found while the session runs"
    assert session_keys(redis_client, sid)

    agent.get_by_test_id("cobrowse-end").click()
    flows.wait_ended(visitor, agent)

    for needle in (page_text, typed, later_text):
        assert redis_hits(redis_client, needle) == [], f"{needle} left in Redis after the end"
    assert session_keys(redis_client, sid) == [], "keys of the ended session are left"
    # ...and in the agent's browser: the replica is gone with the session.
    assert page_text not in agent.content() and typed not in agent.content()


def session_keys(client, sid: str) -> list[str]:
    """Redis keys named after the session."""
    return sorted(k.decode() for k in client.scan_iter(match=f"*{sid}*", count=1000))
