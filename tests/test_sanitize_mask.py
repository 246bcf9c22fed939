"""Server-side masking, the second line (issue 4, item 8), and mutations."""

import json

import pytest
from sanitize_corpus_support import find_dangers

from cobrowse.sanitize import SitePolicy, is_masked, sanitize_mutation, sanitize_snapshot

ORIGIN = "https://shop.example"
URL = ORIGIN + "/pay.html"
POLICY = SitePolicy(
    origins=(ORIGIN,), mask_selectors=(".card input", ".card textarea", "#ssn", "[data-secret]")
)
SECRET = "4111-1111-1111-1111"


def tampered_page():
    """A tag that forgot to mask: the secret travels as attribute, form state and text."""
    return {
        "k": "snapshot",
        "url": URL,
        "title": "Pay",
        "vw": 1,
        "vh": 1,
        "sx": 0,
        "sy": 0,
        "doc": {
            "i": 1,
            "t": 9,
            "c": [
                {
                    "i": 2,
                    "t": 1,
                    "n": "html",
                    "c": [
                        {
                            "i": 3,
                            "t": 1,
                            "n": "body",
                            "c": [
                                {
                                    "i": 4,
                                    "t": 1,
                                    "n": "form",
                                    "a": {"class": "card"},
                                    "c": [
                                        {
                                            "i": 5,
                                            "t": 1,
                                            "n": "input",
                                            "a": {"value": SECRET, "title": SECRET},
                                            "p": {"value": SECRET},
                                        },
                                        {
                                            "i": 6,
                                            "t": 1,
                                            "n": "textarea",
                                            "c": [{"i": 7, "t": 3, "x": SECRET}],
                                        },
                                    ],
                                },
                                {
                                    "i": 8,
                                    "t": 1,
                                    "n": "span",
                                    "a": {"id": "ssn"},
                                    "c": [{"i": 9, "t": 3, "x": SECRET}],
                                },
                                {
                                    "i": 10,
                                    "t": 1,
                                    "n": "div",
                                    "a": {"data-secret": ""},
                                    "c": [
                                        {
                                            "i": 11,
                                            "t": 1,
                                            "n": "b",
                                            "a": {"data-v": SECRET},
                                            "c": [{"i": 12, "t": 3, "x": SECRET}],
                                        }
                                    ],
                                },
                                {
                                    "i": 13,
                                    "t": 1,
                                    "n": "input",
                                    "a": {"type": "PassWord", "value": SECRET},
                                },
                                {
                                    "i": 14,
                                    "t": 1,
                                    "n": "p",
                                    "a": {"data-cobrowse-mask": ""},
                                    "c": [{"i": 15, "t": 3, "x": SECRET}],
                                },
                                {
                                    "i": 16,
                                    "t": 1,
                                    "n": "p",
                                    "c": [{"i": 17, "t": 3, "x": "visible"}],
                                },
                            ],
                        }
                    ],
                }
            ],
        },
    }


def store_of(index):
    store = dict(index)
    return store, (lambda ids: {i: store.get(i) for i in ids})


def test_tampered_snapshot_never_carries_the_secret():
    clean, index = sanitize_snapshot(tampered_page(), POLICY)
    assert SECRET not in json.dumps(clean)
    assert SECRET not in json.dumps(index)  # the index goes to Redis
    assert "visible" in json.dumps(clean)
    for node_id in (5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15):
        assert is_masked(index[node_id]), node_id
    assert not is_masked(index[16]) and not is_masked(index[17])
    assert not is_masked(None)


def test_mutations_on_masked_nodes_drop_the_value():
    _, index = sanitize_snapshot(tampered_page(), POLICY)
    store, lookup = store_of(index)
    ops = [
        {"o": "prop", "i": 5, "p": {"value": SECRET}},
        {"o": "attr", "i": 5, "a": "value", "v": SECRET},
        {"o": "text", "i": 7, "x": SECRET},
        {"o": "text", "i": 12, "x": SECRET},
        {
            "o": "add",
            "p": 4,
            "b": None,
            "n": {"i": 30, "t": 1, "n": "input", "a": {"value": SECRET}},
        },
        {
            "o": "add",
            "p": 3,
            "b": None,
            "n": {
                "i": 31,
                "t": 1,
                "n": "div",
                "a": {"class": "card"},
                "c": [{"i": 32, "t": 1, "n": "input", "p": {"value": SECRET}}],
            },
        },
        {"o": "text", "i": 17, "x": "still visible"},
    ]
    clean, changes = sanitize_mutation({"k": "mutation", "m": ops}, POLICY, lookup, URL)
    assert SECRET not in json.dumps(clean) and SECRET not in json.dumps(changes)
    assert is_masked(changes[30]) and is_masked(changes[32])
    assert {"o": "text", "i": 17, "x": "still visible"} in clean["m"]


def test_attribute_change_that_masks_an_element():
    _, index = sanitize_snapshot(tampered_page(), POLICY)
    store, lookup = store_of(index)
    clean, changes = sanitize_mutation(
        {
            "k": "mutation",
            "m": [
                {"o": "attr", "i": 16, "a": "data-secret", "v": ""},
                {"o": "text", "i": 17, "x": SECRET},
            ],
        },
        POLICY,
        lookup,
        URL,
    )
    assert is_masked(changes[16])
    store.update(changes)
    clean, _ = sanitize_mutation(
        {"k": "mutation", "m": [{"o": "text", "i": 17, "x": SECRET}]}, POLICY, lookup, URL
    )
    assert SECRET not in json.dumps(clean)


def test_mutation_ops_are_sanitized_and_unknown_ids_dropped():
    _, index = sanitize_snapshot(tampered_page(), POLICY)
    _, lookup = store_of(index)
    ops = [
        {"o": "attr", "i": 16, "a": "onclick", "v": "alert(1)"},
        {"o": "attr", "i": 16, "a": "style", "v": "background:url(https://evil.example/x)"},
        {"o": "attr", "i": 999, "a": "title", "v": "x"},
        {"o": "rm", "i": 999},
        {"o": "add", "p": 999, "b": None, "n": {"i": 40, "t": 3, "x": "x"}},
        {"o": "add", "p": 3, "b": 999, "n": {"i": 41, "t": 1, "n": "script"}},
        {"o": "nonsense"},
        "not an op",
        {"o": "text", "i": 16, "x": "not a text node"},
        {
            "o": "add",
            "p": 3,
            "b": 16,
            "n": {"i": 42, "t": 1, "n": "a", "a": {"href": "javascript:alert(1)"}},
        },
        {"o": "rm", "i": 9},
    ]
    clean, changes = sanitize_mutation({"k": "mutation", "m": ops}, POLICY, lookup, URL)
    assert find_dangers(clean) == []
    assert clean["m"] == [
        {"o": "attr", "i": 16, "a": "style", "v": None},
        {"o": "add", "p": 3, "b": 16, "n": {"i": 42, "t": 1, "n": "a", "a": {}, "c": []}},
        {"o": "rm", "i": 9},
    ]
    assert changes[9] is None and changes[42] == "3|0|a"


@pytest.mark.parametrize("event", [None, {"k": "mutation"}, {"k": "mutation", "m": {}}])
def test_bad_mutation_events(event):
    from cobrowse.sanitize import SanitizeError

    with pytest.raises(SanitizeError):
        sanitize_mutation(event, POLICY, lambda ids: {}, URL)
