"""Leadership's pages on the demo center: the weights with a preview that changes nothing, apply
with a note (a new version, audited), errors that name the weight, the dashboard's SVG charts
and the .xlsx exports."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from factories import login, make_user
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.problem import WEIGHT_NAMES
from models import AuditEntry, Case, Person, Proposal, WeightProfile
from models import Session as SessionRow
from models.vocabulary import CaseStatus
from web import dashboard, workflow
from web.pages import display

TODAY = date(2026, 11, 20)  # a Friday


@pytest.fixture(autouse=True)
def _fixed_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(display, "now", lambda: datetime(2026, 11, 20, 1, 0, tzinfo=UTC))


@pytest.fixture
def demo(session: Session, demo_center: date) -> Session:
    assert demo_center == TODAY  # the demo center is in the database already
    return session


@pytest.fixture
def leader(app: Flask, demo: Session) -> Iterator[tuple[FlaskClient, str, int]]:
    app.config["SUTIAO_PREVIEW_TIME_LIMIT"] = 1.0
    user = make_user(demo, "boss", "leader")
    client = app.test_client()
    token = login(client, "boss")
    yield client, token, user.id


def _form(token: str, **values: object) -> dict[str, str]:
    """The weights form as the page sends it: every weight, the current value unless given."""
    current = {"specialty": 10, "workload": 8, "rotation": 4, "batch": 6}
    current |= {"locality": 3, "urgency": 5, "stability": 2}
    data = {name: str(values.get(name, current[name])) for name in WEIGHT_NAMES}
    data["csrf_token"] = token
    if "note" in values:
        data["note"] = str(values["note"])
    return data


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- weights --------------------------------------------------------------------------------------


def test_each_weight_has_a_labelled_input_with_its_range_and_explanation(
    leader: tuple[FlaskClient, str, int],
) -> None:
    client, _, _ = leader
    body = client.get("/leader/weights").get_data(as_text=True)
    for name in WEIGHT_NAMES:
        assert f'<label for="w-{name}">{display.WEIGHT_LABEL[name]}</label>' in body
        field = re.search(rf'<input type="number" id="w-{name}"[^>]*>', body)
        assert field, name
        assert 'min="0"' in field.group(0) and 'max="100"' in field.group(0)
        assert f'aria-describedby="h-{name}"' in field.group(0)
        assert display.WEIGHT_HELP[name] in body
    assert "版本历史" in body and "v1" in body  # the demo's first profile


def test_preview_shows_kpi_differences_and_changed_teams_and_writes_nothing(
    leader: tuple[FlaskClient, str, int], demo: Session
) -> None:
    client, token, _ = leader
    before = (_count(demo, WeightProfile), _count(demo, AuditEntry), _count(demo, Proposal))
    response = client.post("/leader/weights/preview", data=_form(token, workload=30, specialty=2))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "指标变化" in body
    for kpi in ("已分派案件数", "平均专长等级（1–5）", "最高利用率（%）", "就近调解比例"):
        assert kpi in body, kpi
    # Each KPI row shows before, after and the change; at least one changed.
    rows = re.findall(r'<td class="n">([-\d.e+]+)</td>\s*<td class="n">([-\d.e+]+)</td>', body)
    assert len(rows) == len(display.KPI_LABEL)
    assert any(float(b) != float(a) for b, a in rows)
    assert 'class="n change good"' in body or 'class="n change bad"' in body
    changed = re.search(r"将会改变的分派（(\d+) 件）", body)
    assert changed and int(changed.group(1)) > 0
    # The changed assignments name the case and the people, never ids.
    numbers = set(demo.scalars(select(Case.case_number)))
    shown = re.findall(r'<tr><td class="nowrap">([^<]+)</td>', body)
    assert shown and set(shown) <= numbers
    names = set(demo.scalars(select(Person.name)))
    members = re.findall(r'<span class="member">([^<]+)<span', body)
    assert members and set(members) <= names
    assert "专业匹配 10 → 2" in body and "工作量均衡 8 → 30" in body
    # The proposed values stay in the form, and the apply form carries them.
    assert 'id="w-workload" name="workload" value="30"' in body
    assert 'action="/leader/weights/apply"' in body
    demo.expire_all()
    after = (_count(demo, WeightProfile), _count(demo, AuditEntry), _count(demo, Proposal))
    assert after == before


def test_apply_with_a_note_creates_a_version_and_an_audit_entry(
    leader: tuple[FlaskClient, str, int], demo: Session
) -> None:
    client, token, user_id = leader
    response = client.post(
        "/leader/weights/apply", data=_form(token, rotation=9, note="加强轮换，避免集中")
    )
    assert response.status_code == 302 and response.headers["Location"] == "/leader/weights"
    demo.expire_all()
    latest = demo.scalars(select(WeightProfile).order_by(WeightProfile.version.desc())).first()
    assert latest is not None and latest.version == 2
    assert latest.weights["rotation"] == 9 and latest.weights["specialty"] == 10
    assert latest.created_by_id == user_id and latest.note == "加强轮换，避免集中"
    entry = demo.scalars(
        select(AuditEntry).where(AuditEntry.action == "weights.apply").order_by(AuditEntry.id)
    ).all()[-1]
    assert entry.user_id == user_id and entry.object_id == str(latest.id)
    assert entry.old is not None and entry.old["rotation"] == 4
    assert entry.new is not None and entry.new["rotation"] == 9

    page = client.get("/leader/weights").get_data(as_text=True)
    assert "已应用新权重，版本 2。" in page
    history = page[page.index("版本历史") :]
    assert "v2" in history and "轮换分案 4 → 9" in history and "加强轮换，避免集中" in history
    assert 'id="w-rotation" name="rotation" value="9"' in page  # the new current value


def test_apply_needs_a_note_and_a_change(
    leader: tuple[FlaskClient, str, int], demo: Session
) -> None:
    client, token, _ = leader
    no_note = client.post("/leader/weights/apply", data=_form(token, rotation=9, note="  "))
    assert no_note.status_code == 400
    assert "请填写调整说明" in no_note.get_data(as_text=True)
    same = client.post("/leader/weights/apply", data=_form(token, note="没有变化"))
    assert same.status_code == 409
    assert "与当前版本相同" in same.get_data(as_text=True)
    demo.expire_all()
    assert _count(demo, WeightProfile) == 1


def test_a_bad_weight_is_named_and_nothing_is_solved_or_stored(
    leader: tuple[FlaskClient, str, int], demo: Session
) -> None:
    client, token, _ = leader
    data = _form(token, rotation=150, batch="abc", note="x")
    data["locality"] = ""
    for path in ("/leader/weights/preview", "/leader/weights/apply"):
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        body = response.get_data(as_text=True)
        assert "“轮换分案”须在 0 到 100 之间，收到 150。" in body
        assert "“串案延续”须为整数，收到“abc”。" in body
        assert "请填写“就近调解”的权重。" in body
        assert re.search(r'id="w-rotation"[^>]*aria-invalid="true"', body)
        assert not re.search(r'id="w-specialty"[^>]*aria-invalid', body)
        assert "预览结果" not in body
    demo.expire_all()
    assert _count(demo, WeightProfile) == 1


def test_the_weights_pages_need_the_csrf_token(leader: tuple[FlaskClient, str, int]) -> None:
    client, token, _ = leader
    data = _form(token, rotation=9, note="n")
    del data["csrf_token"]
    assert client.post("/leader/weights/apply", data=data).status_code == 400


# --- dashboard and exports ----------------------------------------------------------------------


@pytest.fixture
def published(demo: Session) -> Session:
    """The demo day assigned, scheduled and published."""
    run = workflow.assign(demo, today=TODAY, time_limit=2)
    workflow.schedule(demo, run.id, today=TODAY, time_limit=3)
    workflow.publish(demo, run.id)
    demo.expire_all()
    return demo


@pytest.mark.slow
def test_dashboard_draws_its_charts_from_the_data(
    leader: tuple[FlaskClient, str, int], published: Session
) -> None:
    client, _, _ = leader
    response = client.get("/leader/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    svgs = re.findall(r'<svg class="chart[^"]*"[^>]*role="img"', body)
    assert len(svgs) == 7
    # Drawn on the server: nothing from outside (the SVG namespace is no request).
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", body)

    data = dashboard.collect(published, TODAY)
    # Cases by status: each status's bar carries its count.
    scheduled = published.scalar(
        select(func.count()).select_from(Case).where(Case.status == CaseStatus.SCHEDULED)
    )
    assert scheduled and f"<title>已排期 {scheduled}</title>" in body
    # Utilisation: the busiest person's column, by name, roster number and percent.
    top = data.loads[0]
    assert top.percent and top.percent > 0
    assert f"{top.name}（{top.roster_no}） {top.percent:.0f}" in body or (
        f"{top.name}（{top.roster_no}） {top.percent:.1f}" in body
    )
    # Deadline slack: the histogram's bars add up to the published sessions of open cases.
    sessions = published.scalar(
        select(func.count())
        .select_from(SessionRow)
        .where(SessionRow.is_published.is_(True), SessionRow.run_id.is_not(None))
    )
    assert sessions and sum(n for _, n in data.slack_histogram) >= sessions
    for label, n in data.slack_histogram:
        if n:
            assert f"<title>{label} {n}</title>" in body.replace("&lt;", "<").replace("&gt;", ">")
    # Outcomes over time: the demo's closed cases by month.
    assert data.outcomes and all(f">{m.month}</text>" in body for m in data.outcomes)
    # The regular meeting's figures and the unassigned with their reason.
    assert "例会数据" in body and "调解成功率（累计）" in body
    for item in data.meeting.unassigned:
        assert item.case_number in body
        assert display.UNASSIGNED_REASON[item.reason] in body


@pytest.mark.slow
def test_xlsx_exports_open_and_hold_the_rows(
    leader: tuple[FlaskClient, str, int], published: Session
) -> None:
    client, _, _ = leader
    data = dashboard.collect(published, TODAY)

    response = client.get("/leader/export/utilisation.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("名册编号", "姓名", "角色", "在办案件", "待发布新案", "容量", "利用率")
    assert len(rows) - 1 == len(data.loads)
    first = data.loads[0]
    assert rows[1][:2] == (first.roster_no, first.name) and rows[1][3] == first.active

    slack = load_workbook(io.BytesIO(client.get("/leader/export/slack.xlsx").data)).worksheets[0]
    slack_rows = list(slack.iter_rows(values_only=True))
    assert slack_rows[0][0] == "案号" and len(slack_rows) - 1 == len(data.slack)
    assert {r[0] for r in slack_rows[1:]} == {s.case_number for s in data.slack}
    assert isinstance(slack_rows[1][4], datetime)  # the deadline is a date cell
    assert slack.cell(2, 5).number_format == "yyyy-mm-dd"

    everything = load_workbook(io.BytesIO(client.get("/leader/export/dashboard.xlsx").data))
    titles = everything.sheetnames
    assert len(titles) == 9 and titles[0].startswith("例会数据")
    assert "各月调解结果" in titles and "未分派案件及原因" in titles
    outcomes = list(everything["各月调解结果"].iter_rows(values_only=True))
    assert [r[0] for r in outcomes[1:]] == [m.month for m in data.outcomes]
    assert sum(r[4] for r in outcomes[1:]) == sum(m.closed for m in data.outcomes)

    assert client.get("/leader/export/people.xlsx").status_code == 404
