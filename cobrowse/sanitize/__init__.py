"""The snapshot sanitizer: untrusted visitor snapshots and mutations in, safe data out.

Pure functions (no Flask, Redis or gevent), called in the send path before anything is
queued (issue 4; DESIGN.md "Snapshots and the replica"; docs/protocol.md "Snapshot
format")::

    clean, index = sanitize_snapshot(event, policy)             # index: {id: entry}
    clean, changes = sanitize_mutation(event, policy, lookup, page_url)
    is_masked(index_entry)                                      # refuse agent input there
    is_no_control(index_entry)                                  # refuse agent control there

Modules, one concept each: ``policy`` (allow-lists), ``urls``, ``css``, ``attrs``,
``tree`` (the structure walk), ``mask`` (server-side masking), ``index``, ``fidelity``,
``snapshot``, ``mutations``.
"""

from .errors import MAX_ATTRIBUTE, MAX_DATA_IMAGE, MAX_DEPTH, MAX_NODES, SanitizeError
from .index import is_masked, is_no_control
from .mask import selector_problem
from .mutations import sanitize_mutation
from .policy import MASK_PLACEHOLDER
from .site import SitePolicy
from .snapshot import sanitize_snapshot

__all__ = [
    "MASK_PLACEHOLDER",
    "MAX_ATTRIBUTE",
    "MAX_DATA_IMAGE",
    "MAX_DEPTH",
    "MAX_NODES",
    "SanitizeError",
    "SitePolicy",
    "is_masked",
    "is_no_control",
    "sanitize_mutation",
    "sanitize_snapshot",
    "selector_problem",
]
