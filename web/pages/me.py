"""Pages: me (see web/pages/__init__.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("me", __name__, url_prefix="/me")
