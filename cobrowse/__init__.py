"""CoBrowse for web messaging: the server package.

``create_app`` is the app factory; gunicorn loads ``app:app`` (see app.py).
"""

from __future__ import annotations

from flask import Flask


def create_app(overrides: dict | None = None, *, broker=None) -> Flask:
    """Build the Flask app. ``overrides`` replace configuration values (tests)."""
    from cobrowse import config as config_mod
    from cobrowse.core import Core
    from cobrowse.web import register

    config = config_mod.load(overrides).validate()
    core = Core(config, broker=broker)
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body + 1024
    app.extensions["cobrowse"] = core
    register(app)
    from cobrowse.web.fastlane import FastLane

    def cors_for_errors(origin: str) -> bool:
        return any(origin in site.origins for site in core.directory.sites())

    app.wsgi_app = FastLane(app.wsgi_app, core, cors_for_errors)

    @app.before_request
    def _start_reaper():
        core.reaper.start()

    return app
