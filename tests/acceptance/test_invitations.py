"""The co-browse invitation from the conversation, and each of its outcomes: accepted,
declined, expired (10 s in this stack), cancelled; one invitation and one session per agent;
the transcript kept without the invitation text."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.acceptance import flows

INVITE_WORDS = re.compile(r"would like to see|invites you|invitation", re.I)


def test_invite_from_the_conversation_and_accept(visitor, agent, agent_display):
    """The co-browse button in the conversation offers both modes with what each allows; the
    visitor is asked by name and mode, accepts, and both sides are then in a live session."""
    flows.chat_and_take(visitor, agent)
    agent.get_by_test_id("cobrowse-button").click()
    view = agent.get_by_test_id("cobrowse-mode-view")
    shared = agent.get_by_test_id("cobrowse-mode-shared")
    expect(view).to_contain_text("View only")
    expect(view).to_contain_text("point and highlight")
    expect(shared).to_contain_text("Shared")
    expect(shared).to_contain_text("click, type and navigate")
    shared.click()
    pending = agent.get_by_test_id("cobrowse-invite-pending")
    expect(pending).to_contain_text("Shared")
    expect(agent.get_by_test_id("cobrowse-button")).to_be_disabled()

    card = flows.visitor_invite_card(visitor)
    expect(card).to_be_visible()
    expect(card).to_have_attribute("data-mode", "shared")
    expect(card).to_contain_text(agent_display)
    flows.visitor_accept(visitor)

    flows.wait_status(agent, "active")
    flows.wait_replica_page(agent, "home")
    expect(pending).to_have_count(0)
    expect(flows.visitor_frame(visitor)).to_contain_text(agent_display)
    expect(visitor.get_by_test_id("cobrowse-frame")).to_have_attribute("data-mode", "shared")


def test_declined_invitation(visitor, agent):
    """The visitor declines: the agent is told, no session starts, and may invite again."""
    flows.chat_and_take(visitor, agent)
    flows.agent_invite(agent, "view")
    flows.visitor_decline(visitor)
    result = agent.get_by_test_id("cobrowse-invite-result")
    expect(result).to_have_attribute("data-result", "declined")
    expect(result).to_contain_text("declined")
    expect(agent.get_by_test_id("cobrowse-invite-pending")).to_have_count(0)
    expect(agent.get_by_test_id("cobrowse-button")).to_be_enabled()
    expect(agent.get_by_test_id("cobrowse-widget")).to_be_hidden()
    expect(flows.visitor_frame(visitor)).to_be_hidden()


def test_unanswered_invitation_expires(visitor, agent):
    """Nobody answers: after the invitation's lifetime (10 s here) the agent is told it expired,
    the visitor's card goes away, and the agent may invite again."""
    flows.chat_and_take(visitor, agent)
    flows.agent_invite(agent, "shared")
    card = flows.visitor_invite_card(visitor)
    expect(card).to_be_visible()
    result = agent.get_by_test_id("cobrowse-invite-result")
    expect(result).to_have_attribute("data-result", "expired", timeout=25_000)
    expect(result).to_contain_text("expired")
    expect(card).to_have_count(0)
    expect(agent.get_by_test_id("cobrowse-button")).to_be_enabled()
    expect(flows.visitor_frame(visitor)).to_be_hidden()


def test_agent_cancels_the_invitation(visitor, agent):
    """The agent cancels while it is pending: the visitor's card disappears, and the agent may
    invite again."""
    flows.chat_and_take(visitor, agent)
    flows.agent_invite(agent, "shared")
    card = flows.visitor_invite_card(visitor)
    expect(card).to_be_visible()
    agent.get_by_test_id("cobrowse-cancel-invite").click()
    expect(agent.get_by_test_id("cobrowse-invite-pending")).to_have_count(0)
    expect(card).to_have_count(0)
    expect(agent.get_by_test_id("cobrowse-button")).to_be_enabled()
    expect(flows.visitor_frame(visitor)).to_be_hidden()


def test_one_invitation_and_one_session_per_agent(visitor, agent, new_visitor):
    """With an invitation open in one conversation, the co-browse button of the agent's other
    conversation is disabled and says why; the same once that invitation became a session;
    the second visitor is never invited."""
    first = flows.chat_and_take(visitor, agent)
    other = new_visitor()
    second = flows.chat_and_take(other, agent)

    flows.open_conversation(agent, first)
    flows.agent_invite(agent, "view")
    flows.open_conversation(agent, second)
    button = agent.get_by_test_id("cobrowse-button")
    reason = agent.get_by_test_id("cobrowse-disabled-reason")
    expect(button).to_be_disabled()
    expect(reason).to_have_text(re.compile("open invitation in another conversation"))

    flows.visitor_accept(visitor)
    flows.wait_status(agent, "active")
    expect(reason).to_have_text(re.compile("co-browsing in another conversation"))
    expect(button).to_be_disabled()
    # And in the conversation of the session itself.
    flows.open_conversation(agent, first)
    expect(button).to_be_disabled()
    expect(reason).to_have_text(re.compile("co-browsing with this visitor"))
    expect(flows.visitor_invite_card(other)).to_have_count(0)

    # The session over, the other conversation may invite.
    agent.get_by_test_id("cobrowse-end").click()
    flows.wait_ended(visitor, agent)
    flows.open_conversation(agent, second)
    expect(button).to_be_enabled()
    expect(reason).to_have_text("")


def test_transcript_never_holds_the_invitation(visitor, agent, agent_name):
    """After an invitation, a session and its end, the kept transcript (the workspace
    reloaded, and the visitor's chat reloaded) holds the chat lines and no invitation text."""
    hello = flows.visitor_chat(visitor)
    conv = flows.agent_take(agent, hello)
    flows.agent_invite(agent, "shared")
    flows.visitor_accept(visitor)
    flows.wait_status(agent, "active")
    answer = flows.agent_chat(agent)
    expect(visitor.get_by_test_id("cobrowse-chat-message").filter(has_text=answer)).to_be_visible()
    agent.get_by_test_id("cobrowse-end").click()
    flows.wait_ended(visitor, agent)

    agent.reload()
    flows.open_conversation(agent, conv)
    messages = agent.get_by_test_id("chat-message")
    expect(messages).to_have_count(2)
    expect(messages.nth(0)).to_have_attribute("data-text", hello)
    expect(messages.nth(1)).to_have_attribute("data-text", answer)
    expect(agent.get_by_test_id("chat-message").filter(has_text=INVITE_WORDS)).to_have_count(0)

    visitor.reload()
    flows.open_chat(visitor)
    lines = visitor.get_by_test_id("cobrowse-chat-message")
    expect(lines).to_have_count(2)
    expect(lines.filter(has_text=INVITE_WORDS)).to_have_count(0)
