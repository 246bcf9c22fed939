"""The one exception of the sanitizer, and the limits whose breach raises it."""


class SanitizeError(ValueError):
    """Visitor data that cannot be sanitized as a whole (bad structure or over a limit).

    ``str(err)`` is a sentence a person can act on; the server answers 400 with it.
    """


#: Most nodes in one snapshot, or in the subtrees of one mutation event (docs/protocol.md).
MAX_NODES = 250_000
#: Deepest nesting of nodes (a document counts as level 0).
MAX_DEPTH = 512
#: Longest attribute value, form value or `title`.
MAX_ATTRIBUTE = 64 * 1024
#: Longest `data:` image URL (attribute, `srcset` candidate, canvas capture).
MAX_DATA_IMAGE = 2 * 1024 * 1024
#: Largest node id: ids must survive a round trip through JavaScript numbers.
MAX_NODE_ID = 2**53 - 1
