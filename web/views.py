"""Pages. The full coordinator, leadership, mediator and court pages come with their issues;
for now the front page shows what the center holds."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask.typing import ResponseReturnValue

from .db import get_session
from .status import collect_status

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("index.html", status=collect_status(get_session()))


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")
