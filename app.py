"""Entry point for gunicorn: ``gunicorn -c gunicorn.conf.py app:app``."""

from cobrowse import create_app

app = create_app()
