"""The day's work in a real browser (Debian's chromium driven by playwright), as each user does
it: the coordinator uploads a GBK transfer sheet with one bad row, runs the assignment and
watches it, opens an explanation, pins, re-runs, schedules and publishes; the court looks the
new case up and sees its date; the leader previews a weight change; the mediator finds the feed
link, and the feed holds the session.

Every page visited: no console error, no request to another host, Chinese rendered, English
through the toggle, a screenshot at 1366×768 under test-output/screenshots.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from browser import VIEWPORT, LiveServer, Watch, launch, require_browser, screenshot, start_server
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Person, SessionParticipant
from models import Session as SessionRow
from web.db import make_engine
from web.transfer_sheet import COLUMNS

pytestmark = pytest.mark.slow

TZ = ZoneInfo("Asia/Shanghai")
NEW_CASE = "(2026)豫0802民诉前调9101号"
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    require_browser()
    server = start_server(tmp_path_factory.mktemp("browser"), datetime.now(TZ).date())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(live: LiveServer) -> Iterator[Any]:
    yield from launch()


class User:
    """One logged-in browser context, with the per-page checks."""

    def __init__(self, browser: Any, live: LiveServer, role: str) -> None:
        self.live = live
        self.context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        self.page = self.context.new_page()
        self.watch = Watch(live.host)
        self.watch.attach(self.page)
        username, password = live.logins[role]
        self.visit("/login", f"{role}-login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, f"{role} could not log in"

    def visit(self, path: str, shot: str | None = None) -> Any:
        self.page.goto(self.live.url + path)
        self.page.wait_for_load_state()
        self.check(shot)
        return self.page

    def check(self, shot: str | None) -> None:
        """Chinese by default, readable, and nothing that must not happen."""
        assert self.page.get_attribute("html", "lang") == "zh-CN"
        assert HAN.search(self.page.inner_text("body")), "no Chinese text on the page"
        self.watch.check()
        if shot:
            screenshot(self.page, shot)

    def english(self, shot: str) -> None:
        """The language toggle shows the same page in English, and back."""
        self.page.click("header .who a[lang=en]")
        self.page.wait_for_load_state()
        assert self.page.get_attribute("html", "lang") == "en"
        assert "Log out" in self.page.inner_text("header.top .who")
        nav = self.page.inner_text("header.top nav")  # the user's name is data, the nav is not
        assert nav.strip() == "" or not HAN.search(nav), nav
        screenshot(self.page, f"{shot}-en")
        self.page.click("header .who a[lang=zh-CN]")
        self.page.wait_for_load_state()
        assert self.page.get_attribute("html", "lang") == "zh-CN"
        self.watch.check()

    def close(self) -> None:
        self.watch.check()
        self.context.close()


def _gbk_sheet(path: Path, today: str) -> Path:
    headers = list(COLUMNS)
    good = {
        "案号": NEW_CASE,
        "移送法院": "解放区人民法院",
        "调解类型": "委派",
        "审级": "",
        "程序": "简易",
        "案由": "金融借款合同纠纷",
        "标的额（元）": "86000.00",
        "原告": "中国工商银行股份有限公司焦作分行",
        "被告": "李四",
        "收案日期": today,
        "是否疑难复杂": "否",
        "是否需要中立评估": "否",
        "当事人共同选定调解员": "",
        "备注": "",
    }
    bad = good | {"案号": "(2026)豫0802民诉前调9102号", "标的额（元）": "八万六"}
    lines = [",".join(headers)] + [",".join(row.get(h, "") for h in headers) for row in (good, bad)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def _wait_run(page: Any, status: str = "succeeded", timeout: float = 180_000) -> None:
    page.wait_for_selector(f"#run-live [data-field=status].co-status-{status}", timeout=timeout)


def test_a_day_in_the_browser(browser: Any, live: LiveServer, tmp_path: Path) -> None:
    today = live.today.isoformat()
    # 1. The coordinator logs in.
    coord = User(browser, live, "coordinator")
    page = coord.visit("/coordinator/", "coordinator-today")
    coord.english("coordinator-today")

    # 2. A GBK transfer sheet with one bad row: the row is reported with its field and reason.
    page.set_input_files("#sheet", str(_gbk_sheet(tmp_path / "移送清单.csv", today)))
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_load_state()
    report = page.inner_text("#import-report")
    assert "3" in report and "标的额" in report, report
    coord.check("coordinator-upload-report")

    # 3. Run the assignment and watch its progress.
    page.click("section[aria-labelledby=assign-h] button[type=submit]")
    page.wait_for_url(re.compile(r"/coordinator/runs/\d+$"))
    _wait_run(page)
    assert page.locator("#run-chart polyline.co-line-objective").get_attribute("points")
    coord.check("coordinator-run")
    run_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    # 4. Open a case's explanation: the score by term and the alternates.
    page = coord.visit(f"/coordinator/runs/{run_id}/review", "coordinator-review")
    row = page.locator("tbody", has_text=NEW_CASE).first
    details = page.locator("details", has=page.locator("summary")).filter(has_text="得分明细").first
    if row.count():
        details = row.locator("details").first
    # Its own summary: the waiver form nested inside has one too.
    details.locator(":scope > summary").click()
    assert details.get_attribute("open") is not None
    coord.check("coordinator-explanation")

    # 5. Pin the first member of the new case's team.
    pin = details.locator("form.co-member").first
    pin.locator("input[name=reason]").fill("当事人要求原调解员继续")
    pin.locator("button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "已固定" in page.inner_text("body")
    coord.check("coordinator-pinned")

    # 6. Re-run, keeping the pin.
    page.click("form:has(input[name=parent]) button[type=submit]")
    page.wait_for_url(re.compile(r"/coordinator/runs/\d+$"))
    _wait_run(page)
    rerun_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert rerun_id != run_id

    # 7. Schedule the re-run's teams.
    page = coord.visit(f"/coordinator/runs/{rerun_id}/review")
    page.click(f"form[action$='/runs/{rerun_id}/schedule'] button[type=submit]")
    page.wait_for_url(re.compile(r"/coordinator/runs/\d+$"))
    _wait_run(page)
    coord.check("coordinator-schedule-run")
    page = coord.visit("/coordinator/schedule", "coordinator-week")

    # 8. Publish, after the confirmation that says what changes.
    page = coord.visit(f"/coordinator/runs/{rerun_id}/publish", "coordinator-publish")
    page.click("form.co-publish-form button[type=submit]")
    page.wait_for_load_state()
    assert "发布" in page.inner_text("body")
    coord.check("coordinator-published")
    coord.close()

    # 9. The court looks the new case up: the date shows.
    court = User(browser, live, "court")
    page = court.visit("/court/", "court-lookup")
    page.fill("#numbers", NEW_CASE.replace("(", "（").replace(")", "）"))
    page.click("form.lookup-form button[type=submit]")
    page.wait_for_load_state()
    result = page.inner_text("main")
    assert NEW_CASE in result and re.search(r"20\d\d-\d\d-\d\d", result), result
    court.check("court-result")
    court.english("court-result")
    court.close()

    # 10. The leader previews a weight change and sees the KPI differences.
    leader = User(browser, live, "leader")
    page = leader.visit("/leader/", "leader-dashboard")
    assert page.locator("main svg").count() >= 3
    page = leader.visit("/leader/weights", "leader-weights")
    field = page.locator("form.weights-form input[type=number]").first
    field.fill(str(int(field.input_value()) + 5))
    page.click("form.weights-form button[type=submit]")
    page.wait_for_selector("#h-preview", timeout=180_000)
    preview = page.inner_text("main")
    assert "之前" in preview or "变化" in preview, preview
    leader.check("leader-preview")
    leader.english("leader-weights")
    leader.close()

    # 11. The mediator finds the feed link, and the feed holds their session.
    mediator = User(browser, live, "mediator")
    mediator.visit("/me/", "mediator-home")
    page = mediator.visit("/me/calendar", "mediator-calendar")
    https = page.input_value("#link-https")
    assert page.input_value("#link-webcal").startswith("webcal://")
    with urllib.request.urlopen(https, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/calendar")
        feed = icalendar.Calendar.from_ical(response.read())
    uids = {str(event["UID"]).split("@")[0] for event in feed.walk("VEVENT")}
    engine = make_engine(live.database_url)
    with Session(engine) as session:
        username = live.logins["mediator"][0]
        from models import User as UserRow

        person_id = session.scalars(
            select(UserRow.person_id).where(UserRow.username == username)
        ).one()
        assert person_id is not None and session.get(Person, person_id) is not None
        theirs = {
            uid.split("@")[0]
            for uid in session.scalars(
                select(SessionRow.uid)
                .join(SessionParticipant, SessionParticipant.session_id == SessionRow.id)
                .where(
                    SessionParticipant.person_id == person_id,
                    SessionRow.is_published.is_(True),
                )
            )
        }
    engine.dispose()
    assert theirs and theirs & uids, (theirs, uids)
    mediator.english("mediator-calendar")
    mediator.close()
