"""Harness for the browser tests: a live Sutiao on a demo database, Debian's chromium driven by
Python playwright, and the checks every visited page must pass (no console errors, no request
to any other host, readable Chinese, a screenshot at 1366×768).

Playwright's own browser download cannot work on these machines: tests use /usr/bin/chromium.
Without it (or without playwright) the browser tests skip locally and fail when CI is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from models import migrate
from web import create_app
from web.db import make_engine
from web.demo import load_demo
from web.reference import load_reference

CHROMIUM = os.environ.get("SUTIAO_CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1366, "height": 768}
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = Path(os.environ.get("SUTIAO_TEST_OUTPUT", ROOT / "test-output")) / "screenshots"
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--metrics-recording-only",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
]


def require_browser() -> None:
    missing = []
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        missing.append(f"chromium ({CHROMIUM})")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright")
    if missing:
        reason = f"browser tests need {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; .ci/run installs them", pytrace=False)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    database_url: str
    logins: dict[str, tuple[str, str]]  # role -> (username, password)
    today: date
    app: Any
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=30)
        self.server.server_close()
        chosen = self.app.extensions.get("sutiao.executor")
        for future in getattr(chosen, "futures", {}).values():
            future.result(timeout=300)
        self.app.extensions["sutiao.engine"].dispose()


def start_server(workdir: Path, today: date) -> LiveServer:
    """A demo center in SQLite, served by werkzeug in a thread (runs execute in-process)."""
    url = f"sqlite:///{workdir / 'browser.sqlite'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        load_reference(session)
        summary = load_demo(session, today=today, cases=150, people=80)
        session.commit()
    engine.dispose()
    port = free_port()
    app = create_app(
        {
            "SUTIAO_DATABASE_URL": url,
            "SUTIAO_BASE_URL": f"http://127.0.0.1:{port}",
            "SECRET_KEY": "browser-tests",
        }
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    logins = {login.role: (login.username, login.password) for login in summary.logins}
    return LiveServer(f"http://127.0.0.1:{port}", url, logins, today, app, server, thread)


@dataclass
class Watch:
    """What a page did that it must not: console errors, requests to other hosts."""

    host: str
    errors: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("request", self._request)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def _request(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != self.host:
            self.offsite.append(request.url)

    def check(self) -> None:
        assert self.errors == [], self.errors
        assert self.offsite == [], f"requests to other hosts: {self.offsite}"


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def launch() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
