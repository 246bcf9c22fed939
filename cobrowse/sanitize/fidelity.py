"""The fidelity report: what the agent cannot see, in words, with counts (issue 4, item 7)."""

from collections import Counter

#: Reason key -> (singular, plural) wording, in the order the agent reads them.
SENTENCES = {
    "frame": ("embedded page from another site", "embedded pages from another site"),
    "frame_uncaptured": (
        "embedded page that was not captured",
        "embedded pages that were not captured",
    ),
    "plugin": ("plugin object", "plugin objects"),
    "media": ("video or audio from another site", "videos or audio from another site"),
    "image": ("image from another site", "images from another site"),
    "blob": ("image made in the visitor's browser", "images made in the visitor's browser"),
    "stylesheet": ("style sheet from another site", "style sheets from another site"),
    "css_url": ("style resource from another site", "style resources from another site"),
}


def sentences(counts: Counter) -> list[str]:
    """``["1 embedded page from another site", "2 plugin objects"]`` for the counts."""
    out = []
    for key, (one, many) in SENTENCES.items():
        n = counts.get(key, 0)
        if n:
            out.append(f"{n} {one if n == 1 else many}")
    return out
