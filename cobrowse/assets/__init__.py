"""The resource proxy (issue 11, item 1): the replica's fonts, and per site its style sheets
and images, fetched by the server from the site's configured origins only.

``links`` (the site's proxy settings for the sanitizer), ``rules`` (pure: which addresses,
types and sizes are allowed), ``fetch`` (the guarded HTTP fetch), ``cache`` (memory per
worker, plus the broker when Redis is configured). The Flask view is ``cobrowse.web.assets``.
"""
