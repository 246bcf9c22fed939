"""Implicit ids are filled back exactly as the tag left them out."""

from cobrowse.node_ids import expand_event, expand_ids


def test_pre_order_node_children_then_frame_then_shadow():
    tree = {"i": 10, "c": [{"c": [{}]}, {"d": {"c": [{}]}, "sh": {"c": [{}]}}]}
    assert expand_ids(tree) == 17
    assert tree["c"][0]["i"] == 11 and tree["c"][0]["c"][0]["i"] == 12
    frame_owner = tree["c"][1]
    assert frame_owner["i"] == 13 and frame_owner["d"]["i"] == 14
    assert frame_owner["d"]["c"][0]["i"] == 15
    assert frame_owner["sh"]["i"] == 16 and frame_owner["sh"]["c"][0]["i"] == 17


def test_explicit_ids_restart_the_count():
    tree = {"i": 1, "c": [{"i": 50}, {}]}
    expand_ids(tree)
    assert tree["c"][1]["i"] == 51


def test_deep_trees_do_not_exhaust_the_stack():
    root = node = {"i": 1}
    for _ in range(100_000):
        node["c"] = [{}]
        node = node["c"][0]
    assert expand_ids(root) == 100_001


def test_mutation_adds_and_junk_are_left_for_the_sanitizer():
    event = {"k": "mutation", "m": [{"o": "add", "p": 1, "n": {"i": 9, "c": [{}]}}, "junk", {"o": "rm"}]}
    expand_event(event)
    assert event["m"][0]["n"]["c"][0]["i"] == 10
    expand_ids({"i": "x", "c": [5, {"c": "no"}]})  # does not raise
