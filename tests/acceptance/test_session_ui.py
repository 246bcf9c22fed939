"""The co-browse session's own controls on both sides."""

from __future__ import annotations

from tests.acceptance import flows


def test_agent_end_button_ends_the_session(visitor, agent):
    flows.start_cobrowse(visitor, agent)
    agent.get_by_test_id("cobrowse-end").click()
    flows.wait_ended(visitor, agent)
