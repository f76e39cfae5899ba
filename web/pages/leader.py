"""Pages: leader (see web/pages/__init__.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("leader", __name__, url_prefix="/leader")
