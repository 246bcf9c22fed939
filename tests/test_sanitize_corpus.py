"""The XSS corpora (../shared/corpora/xss and, issue 10, ../shared/corpora/xss-more) as
crafted snapshot and mutation events (issue 4, Tests (b)): after sanitizing, the independent
checker finds nothing dangerous."""

import json

import pytest
from sanitize_corpus_support import (
    ORIGIN,
    PAGE_URL,
    Ids,
    fill,
    find_dangers,
    load_more_payloads,
    load_payloads,
    mutation_events,
    snapshot_event,
)

from cobrowse.sanitize import SitePolicy, sanitize_mutation, sanitize_snapshot

POLICY = SitePolicy(origins=(ORIGIN,), mask_selectors=(".secret",))
PAYLOADS = load_payloads() + [(name, fill(html)) for name, html in load_more_payloads()]
BASE_PAGE = '<div id="target" class="x">known text</div>'


def test_corpora_are_all_there():
    assert len(PAYLOADS) >= 600 + 2700


@pytest.mark.parametrize(("name", "payload"), PAYLOADS, ids=[n for n, _ in PAYLOADS])
def test_payload_as_snapshot_and_mutations(name, payload):
    clean, index = sanitize_snapshot(snapshot_event(payload), POLICY)
    assert find_dangers(clean) == [], name
    json.dumps(clean)  # serializable as is

    ids = Ids(1)
    base, index = sanitize_snapshot(snapshot_event(BASE_PAGE, ids), POLICY)
    body = base["doc"]["c"][1]["c"][1]
    target = body["c"][0]
    store = dict(index)
    for event in mutation_events(payload, body["i"], target["i"], ids):
        cleaned, changes = sanitize_mutation(
            event, POLICY, lambda wanted: {i: store.get(i) for i in wanted}, PAGE_URL
        )
        assert find_dangers(cleaned) == [], name
        store.update(changes)


def test_checker_sees_raw_payloads_as_dangerous():
    # The checker must be worth something: most raw payloads trip it.
    flagged = sum(bool(find_dangers(snapshot_event(p))) for _, p in PAYLOADS)
    assert flagged > len(PAYLOADS) * 0.5
