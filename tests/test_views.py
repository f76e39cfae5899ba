"""The front page and the health check."""

from __future__ import annotations

from factories import login, make_user
from flask import Flask
from sqlalchemy.orm import Session


def test_index_needs_a_login(app: Flask) -> None:
    response = app.test_client().get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_index_shows_the_center_in_chinese(app: Flask, session: Session) -> None:
    make_user(session, "coord", "coordinator")
    client = app.test_client()
    login(client, "coord")
    response = client.get("/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "金融纠纷诉调对接中心" in body
    assert "待分派" in body
    # Court intranets have no internet: no outside assets.
    assert "http://" not in body and "https://" not in body


def test_healthz(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
