"""Pages: coordinator (see web/pages/__init__.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")
