"""The pages, one blueprint per kind of user; each module registers who may see its endpoints
in the access table (web/auth.py) and its entries in the navigation.

- ``coordinator``: /coordinator — today's inbox and upload, runs with live progress, review,
  schedule week views, publish, repair proposals;
- ``leader``: /leader — weights with preview and history, the dashboard, .xlsx exports;
- ``me``: /me — a mediator's or expert's cases, sessions, calendar links, leave;
- ``court``: /court — lookup by 案号.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str  # a msgid; translated in the template


# The navigation bar, in order; each user sees the entries their role may open.
NAV: list[NavItem] = []


def nav(endpoint: str, label: str) -> None:
    NAV.append(NavItem(endpoint, label))


def init_app(app: Flask) -> None:
    from . import coordinator, court, leader, me

    for module in (coordinator, leader, me, court):
        app.register_blueprint(module.bp)

    @app.context_processor
    def _navigation() -> dict[str, object]:
        return {"nav_items": NAV}
