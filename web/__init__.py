"""Flask app factory, blueprints, CLI and the operations that connect the database with the
optimizers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from .config import load_config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(Path.cwd() / "instance"))
    app.config.update(load_config(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from . import api, auth, cli, db, feeds, languages, pages, views

    db.init_app(app)
    cli.init_app(app)
    languages.init_app(app)
    auth.init_app(app)
    app.register_blueprint(views.bp)
    pages.init_app(app)
    api.init_app(app)
    feeds.init_app(app)
    return app
