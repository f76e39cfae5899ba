"""The coordinator's pages (web/pages/coordinator.py, web/coordination.py) on the demo center,
through the Flask test client as a logged-in coordinator, on SQLite and PostgreSQL: the inbox
and a GBK transfer-sheet upload with a bad row, a run in the background with its live page,
the review with explanations and alternates, pin and override (a broken rule is named), the
week views, publish, and a repair after leave."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from factories import login, make_user, recused_replacement
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import AssignmentRun, Booking, Case, Person, Proposal
from models import Session as SessionRow
from models.vocabulary import CaseStatus, RunStatus, SessionStatus
from scheduler.problem import TZ
from web import api, coordination, repairs, runs, workflow

TODAY = date(2026, 11, 20)  # a Friday; the demo is built around it
NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
HEADER = (
    "案号", "移送法院", "调解类型", "审级", "程序", "案由", "标的额（元）",
    "原告", "被告", "收案日期", "是否疑难复杂", "是否需要中立评估",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "now", lambda: NOW)


@pytest.fixture
def demo(session: Session, demo_center: date) -> Session:
    assert demo_center == TODAY  # the demo center is in the database already
    make_user(session, "coord", "coordinator")
    return session


@pytest.fixture
def client(app: Flask, demo: Session) -> FlaskClient:
    client = app.test_client()
    login(client, "coord")
    return client


def _token(client: FlaskClient) -> str:
    body = client.get("/coordinator/runs").get_data(as_text=True)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', body)
    assert found
    return found.group(1)


def _post(client: FlaskClient, path: str, data: dict[str, Any], **kw: Any) -> Any:
    return client.post(path, data={"csrf_token": _token(client), **data}, **kw)


def _text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _between(page: str, start: str, end: str) -> str:
    """The part of ``page`` from ``start`` up to the next ``end`` (or the end of the page)."""
    part = page[page.index(start) :]
    stop = part.find(end, len(start))
    return part if stop < 0 else part[:stop]


def _assigned(demo: Session) -> AssignmentRun:
    run = workflow.assign(demo, today=TODAY, time_limit=2)
    assert run.status == RunStatus.SUCCEEDED
    return run


def _proposals(demo: Session, run: AssignmentRun) -> list[Proposal]:
    return list(
        demo.scalars(select(Proposal).where(Proposal.run_id == run.id).order_by(Proposal.id))
    )


def _sheet(rows: list[dict[str, str]], encoding: str = "gbk") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([row.get(h, "") for h in HEADER])
    return out.getvalue().encode(encoding)


def _row(seq: int, **changes: str) -> dict[str, str]:
    row = {
        "案号": f"(2026)豫0802民初{seq}号",
        "移送法院": "解放区人民法院",
        "调解类型": "委托",
        "审级": "一审",
        "程序": "普通",
        "案由": "金融借款合同纠纷",
        "标的额（元）": "120,000.00",
        "原告": "中国工商银行股份有限公司焦作分行",
        "被告": "张三、李四",
        "收案日期": "2026年11月19日",
        "是否疑难复杂": "否",
        "是否需要中立评估": "否",
    }
    row.update(changes)
    return row


def _upload(
    client: FlaskClient, data: bytes, name: str, strict: bool = False, lang: str | None = None
) -> Any:
    form: dict[str, Any] = {"sheet": (io.BytesIO(data), name)}
    if strict:
        form["strict"] = "1"
    path = "/coordinator/upload" + (f"?lang={lang}" if lang else "")
    return _post(client, path, form, content_type="multipart/form-data")


def _error_rows(page: str) -> list[tuple[str, ...]]:
    """The import report's error table: (row, column, value, reason) as the page shows them."""
    table = _between(page, 'class="co-errors"', "</table>")
    rows = re.findall(
        r"<tr><td class=\"n\">(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>", table
    )
    return [tuple(html.unescape(cell) for cell in row) for row in rows]


# --- today --------------------------------------------------------------------------------------


def test_today_lists_the_received_cases_most_urgent_first(
    client: FlaskClient, demo: Session
) -> None:
    page = _text(client.get("/coordinator/"))
    received = demo.scalars(select(Case).where(Case.status == CaseStatus.RECEIVED)).all()
    table = page[page.index('class="co-inbox"') :]
    shown = re.findall(r'<td class="co-nowrap">(\([^<]+号)</td>', table)
    assert sorted(shown) == sorted(c.case_number for c in received)
    deadlines = {c.case_number: c.deadline_on or date.max for c in received}
    assert [deadlines[n] for n in shown] == sorted(deadlines[n] for n in shown)
    assert "个工作日" in page and "待分派" in page and "已排期" in page
    counts = re.search(r"待分派案件</span>", page)
    assert counts and f'<span class="co-tile-n">{len(received)}</span>' in page


def test_working_days_left_skip_weekends_and_holidays(demo: Session) -> None:
    calendar = coordination.calendar_from_db(demo)
    friday = date(2026, 11, 20)
    assert coordination.working_days_left(calendar, friday, friday) == 0
    assert coordination.working_days_left(calendar, friday, date(2026, 11, 23)) == 1  # Monday
    assert coordination.working_days_left(calendar, friday, date(2026, 11, 27)) == 5
    # New Year 2026: Jan 1–3 off, Sunday Jan 4 worked (调休), so Wed Dec 31 → Mon Jan 5 is two.
    assert coordination.working_days_left(calendar, date(2025, 12, 31), date(2026, 1, 2)) == 0
    assert coordination.working_days_left(calendar, date(2025, 12, 31), date(2026, 1, 5)) == 2
    assert coordination.working_days_left(calendar, friday, date(2026, 11, 19)) is None


def test_a_gbk_transfer_sheet_with_one_bad_row(client: FlaskClient, demo: Session) -> None:
    before = demo.scalar(select(func.count()).select_from(Case))
    sheet = _sheet([_row(90001), _row(90002, **{"标的额（元）": "十万元"}), _row(90003)])
    response = _upload(client, sheet, "移送清单.csv")
    assert response.status_code == 200
    page = _text(response)
    assert "导入结果：移送清单.csv" in page
    assert '<strong data-count="imported">2</strong>' in page
    assert '<strong data-count="rejected">1</strong>' in page
    # The bad row: spreadsheet row 3 (the header is row 1), its column and the reason.
    assert _error_rows(page) == [("3", "标的额（元）", "十万元", "「十万元」不是数字")]
    demo.expire_all()
    stored = set(demo.scalars(select(Case.case_number).where(Case.case_number.like("%9000_号"))))
    assert stored == {"(2026)豫0802民初90001号", "(2026)豫0802民初90003号"}
    assert demo.scalar(select(func.count()).select_from(Case)) == before + 2

    # The same file again: the good rows are already there, nothing new.
    again = _text(_upload(client, sheet, "移送清单.csv"))
    assert '<strong data-count="imported">0</strong>' in again
    assert '<strong data-count="unchanged">2</strong>' in again


def test_strict_upload_with_a_bad_row_imports_nothing(client: FlaskClient, demo: Session) -> None:
    before = demo.scalar(select(func.count()).select_from(Case))
    sheet = _sheet([_row(90011), _row(90012, 收案日期="2026-13-01")])
    page = _text(_upload(client, sheet, "strict.csv", strict=True))
    assert "严格模式：文件中有错误行，本次没有导入任何案件" in page
    assert "收案日期" in page[page.index('class="co-errors"') :]
    demo.expire_all()
    assert demo.scalar(select(func.count()).select_from(Case)) == before


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"just,some,columns\r\n1,2,3\r\n", "wrong.csv", "文件无法导入，未导入任何案件"),
        (b"\xff\xfe\x00garbage\x81\x00" * 20, "binary.xlsx", "文件无法导入，未导入任何案件"),
        (b"whatever", "old.xls", "不支持的文件类型"),
        (b"", "", "请选择要上传的移送清单文件"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message(
    client: FlaskClient, demo: Session, data: bytes, name: str, message: str
) -> None:
    before = demo.scalar(select(func.count()).select_from(Case))
    response = _upload(client, data, name)
    assert response.status_code == 400
    assert message in _text(response)
    demo.expire_all()
    assert demo.scalar(select(func.count()).select_from(Case)) == before


def test_the_upload_report_is_in_the_pages_language(client: FlaskClient, demo: Session) -> None:
    """The same bad rows: reasons in Chinese by default, in English with ?lang=en."""
    bad = {"标的额（元）": "八万六", "收案日期": "2026-12-01", "是否疑难复杂": "可能"}
    sheet = _sheet([_row(90031), _row(90032, **bad), _row(90031)])
    chinese = [
        ("3", "标的额（元）", "八万六", "「八万六」不是数字"),
        ("3", "收案日期", "2026-12-01", "收案日期 2026-12-01 晚于今天（2026-11-20）"),
        ("3", "是否疑难复杂", "可能", "「可能」应填“是”或“否”"),
        ("4", "案号", "(2026)豫0802民初90031号",
         "本文件中案号 (2026)豫0802民初90031号 重复（首次出现在第 2 行）"),
    ]  # fmt: skip
    english = [
        ("3", "标的额（元）", "八万六", "'八万六' is not a number"),
        ("3", "收案日期", "2026-12-01", "date 2026-12-01 is in the future (today is 2026-11-20)"),
        ("3", "是否疑难复杂", "可能", "'可能' is not 是 or 否"),
        ("4", "案号", "(2026)豫0802民初90031号",
         "duplicate 案号 (2026)豫0802民初90031号 in this file (first on row 2)"),
    ]  # fmt: skip

    page = _text(_upload(client, sheet, "移送清单.csv"))
    assert 'lang="zh-CN"' in page
    assert _error_rows(page) == chinese

    page = _text(_upload(client, sheet, "移送清单.csv", lang="en"))
    assert 'lang="en"' in page
    assert _error_rows(page) == english  # the good row is already there; the bad ones again

    # The choice is remembered, and ?lang=zh_CN switches back.
    assert _error_rows(_text(_upload(client, sheet, "移送清单.csv"))) == english
    assert _error_rows(_text(_upload(client, sheet, "移送清单.csv", lang="zh_CN"))) == chinese


@pytest.mark.parametrize(
    ("lang", "detail"),
    [
        (None, "wrong.csv：前 5 行中没有含“案号”栏目的表头行"),
        ("en", "wrong.csv: no header row with a 案号 column in the first 5 rows"),
    ],
)
def test_a_file_error_is_in_the_pages_language(
    client: FlaskClient, demo: Session, lang: str | None, detail: str
) -> None:
    response = _upload(client, b"just,some,columns\r\n1,2,3\r\n", "wrong.csv", lang=lang)
    assert response.status_code == 400
    found = re.search(r"<code>(.*?)</code>", _text(response))
    assert found and html.unescape(found.group(1)) == detail


# --- runs ---------------------------------------------------------------------------------------


def test_run_assignment_in_the_background_and_watch_it(
    app: Flask, client: FlaskClient, demo: Session
) -> None:
    refused = _post(client, "/coordinator/runs", {"time_limit": "0"}, follow_redirects=True)
    assert "时间上限须大于 0" in _text(refused)
    assert demo.scalar(select(func.count()).select_from(AssignmentRun).where(
        AssignmentRun.kind == "assign", AssignmentRun.status == RunStatus.QUEUED
    )) == 0  # fmt: skip

    response = _post(client, "/coordinator/runs", {"time_limit": "2"})
    assert response.status_code == 302
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    executor = runs.executor(app)
    assert isinstance(executor, runs.InlineExecutor)
    executor.wait(run_id, 120)
    page = _text(client.get(f"/coordinator/runs/{run_id}"))
    assert f'data-api="/api/v1/runs/{run_id}"' in page
    assert 'data-status="succeeded"' in page and "审核分案结果" in page
    # The chart is drawn from the stored progress: both lines have points.
    objective = re.search(r'class="co-line-objective" points="([^"]*)"', page)
    assert objective and objective.group(1).count(",") >= 1
    assert "js/coordinator.js" in page
    # The page's script polls the JSON API, which the logged-in session may read.
    progress = client.get(f"/api/v1/runs/{run_id}").get_json()
    assert progress["status"] == "succeeded" and progress["progress"]


def test_a_queued_run_can_be_cancelled_from_its_page(client: FlaskClient, demo: Session) -> None:
    run = workflow.create_assign_run(demo, today=TODAY, time_limit=5)
    page = _text(client.get(f"/coordinator/runs/{run.id}"))
    assert "排队中" in page and "取消运行" in page and 'data-status="queued"' in page
    done = _post(client, f"/coordinator/runs/{run.id}/cancel", {}, follow_redirects=True)
    assert "已请求取消运行" in _text(done) and "已取消" in _text(done)
    demo.refresh(run)
    assert run.status == RunStatus.CANCELLED
    again = _post(client, f"/coordinator/runs/{run.id}/cancel", {}, follow_redirects=True)
    assert "操作未执行" in _text(again)


# --- review -------------------------------------------------------------------------------------


def test_review_shows_each_team_with_its_score_and_alternates(
    client: FlaskClient, demo: Session
) -> None:
    run = _assigned(demo)
    page = _text(client.get(f"/coordinator/runs/{run.id}/review"))
    proposals = _proposals(demo, run)
    for p in proposals:
        assert p.case.case_number in page and p.person.name in page
    # One case's explanation: every scored term by its Chinese label, with its value.
    case = next(p for p in proposals if p.explanation["alternates"])
    block = _between(page, f'id="case-{case.case_id}"', '<tbody id="case-')
    labels = {"specialty": "专业匹配", "locality": "就近（同一法院）", "urgency": "期限紧迫"}
    for term, zh in labels.items():
        value = case.explanation["score"][term]
        shown = f"{value:+d}" if value else "0"
        assert re.search(rf"<th scope=\"row\">{re.escape(zh)}</th><td class=\"n[^\"]*\">"
                         rf"{re.escape(shown)}</td>", block), term  # fmt: skip
    # Each alternate by name, with the score gap or the Chinese name of the rule.
    rules = {"roster_scope": "名册服务范围", "recusal": "回避", "eligibility": "专业资格",
             "capacity": "承办容量已满", "availability": "期限内无空闲时间"}  # fmt: skip
    for alts in case.explanation["alternates"].values():
        for alt in alts:
            person = demo.get_one(Person, int(alt["person"]))
            assert person.name in block
            if alt["rule"]:
                assert f"不可选：{rules[alt['rule']]}" in block
            elif alt["score_difference"] > 0:
                assert f"得分低 {alt['score_difference']} 分" in block
    # The unassigned: reason, supply-and-demand figures, and a suggested fix.
    unassigned = run.stats["unassigned"]
    assert unassigned, "the demo should leave some case without a team"
    fixes = {"no_eligible_specialist": "增补", "all_conflicted": "豁免",
             "capacity_exhausted": "承办上限", "no_availability_before_deadline": "延长",
             "team_incomplete": "硬性规则"}  # fmt: skip
    for u in unassigned:
        card = _between(page, f'id="unassigned-{u["case"]}"', "</article>")
        assert "建议" in card and fixes[u["reason"]] in card
        if "lock_breaks_rule" in u["details"]:
            assert "违反规则「" in card
        else:
            assert "供需情况" in card and "需要人数" in card


def test_pin_needs_a_reason_and_a_rerun_keeps_it(
    app: Flask, client: FlaskClient, demo: Session
) -> None:
    run = _assigned(demo)
    proposal = _proposals(demo, run)[0]
    empty = _post(client, f"/coordinator/proposals/{proposal.id}/pin", {"reason": " "},
                  follow_redirects=True)  # fmt: skip
    assert "固定须填写理由" in _text(empty)
    demo.refresh(proposal)
    assert not proposal.is_pinned
    done = _post(client, f"/coordinator/proposals/{proposal.id}/pin", {"reason": "专业对口"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"open={proposal.case_id}#case-{proposal.case_id}")
    page = _text(client.get(done.headers["Location"]))
    assert "已固定" in page and "<details open>" in page
    demo.refresh(proposal)
    assert proposal.is_pinned

    rerun = _post(client, "/coordinator/runs", {"time_limit": "2", "parent": str(run.id)})
    child = int(rerun.headers["Location"].rsplit("/", 1)[1])
    executor = runs.executor(app)
    assert isinstance(executor, runs.InlineExecutor)
    executor.wait(child, 120)
    kept = demo.scalars(
        select(Proposal).where(
            Proposal.run_id == child,
            Proposal.case_id == proposal.case_id,
            Proposal.person_id == proposal.person_id,
        )
    ).one()
    assert kept.is_pinned
    assert f'href="/coordinator/runs/{run.id}/review">#{run.id}</a>' in _text(
        client.get(f"/coordinator/runs/{child}/review")
    )


def _ineligible(demo: Session, proposal: Proposal) -> Person:
    case = demo.get_one(Case, proposal.case_id)
    for person in demo.scalars(select(Person).where(Person.is_active.is_(True))):
        if person.is_mediator and case.category not in {s.category for s in person.specialties}:
            return person
    raise AssertionError("the demo has no ineligible mediator")


def test_an_override_that_breaks_a_rule_is_refused_naming_it(
    client: FlaskClient, demo: Session
) -> None:
    run = _assigned(demo)
    proposal = next(p for p in _proposals(demo, run) if p.role == "mediator")
    outsider = _ineligible(demo, proposal)
    page = _text(
        _post(
            client,
            f"/coordinator/proposals/{proposal.id}/override",
            {"roster_no": outsider.roster_no, "reason": "当事人要求"},
            follow_redirects=True,
        )
    )
    assert "替换未执行：违反硬性规则「专业资格」" in page
    # The page scrolls to the case after the redirect: the outcome is repeated there.
    here = _between(page, f'id="case-{proposal.case_id}"', '<tbody id="case-')
    assert "<details open>" in here and "替换未执行" in here
    demo.refresh(proposal)
    assert proposal.person_id != outsider.id and not proposal.is_pinned
    missing = _post(client, f"/coordinator/proposals/{proposal.id}/override",
                    {"person": str(outsider.id), "reason": ""}, follow_redirects=True)  # fmt: skip
    assert "替换须填写理由" in _text(missing)


def test_a_recused_override_asks_for_both_parties_waiver(
    client: FlaskClient, demo: Session
) -> None:
    run = _assigned(demo)
    found = recused_replacement(demo, run, TODAY)
    if found is None:
        pytest.skip("no recused but otherwise eligible mediator in this demo")
    proposal, person = found
    page = _text(
        _post(
            client,
            f"/coordinator/proposals/{proposal.id}/override",
            {"person": person.id, "reason": "双方同意"},
            follow_redirects=True,
        )
    )
    assert "违反硬性规则「回避」" in page
    assert "须先记录双方当事人同意其参与本案的书面意见" in page
    demo.refresh(proposal)
    assert proposal.person_id != int(person.id)


def test_an_override_to_an_alternate_is_made_and_pinned(client: FlaskClient, demo: Session) -> None:
    run = _assigned(demo)
    for proposal in _proposals(demo, run):
        case = proposal.case
        if proposal.is_presiding and (case.instance == 2 or case.complexity == "major"):
            continue  # those need a senior presiding mediator
        free = [a for a in proposal.explanation["alternates"].get(proposal.role, [])
                if a["rule"] is None]  # fmt: skip
        if free:
            break
    else:
        pytest.fail("no case has an alternate that breaks no rule")
    chosen = demo.get_one(Person, int(free[0]["person"]))
    page = _text(
        _post(
            client,
            f"/coordinator/proposals/{proposal.id}/override",
            {"person": str(chosen.id), "reason": "当事人共同申请"},
            follow_redirects=True,
        )
    )
    assert f"替换为 {chosen.name}，并已固定" in page
    demo.refresh(proposal)
    assert proposal.person_id == chosen.id and proposal.is_pinned
    assert proposal.override_reason == "当事人共同申请"
    assert "替换理由：当事人共同申请" in page


# --- schedule, week, publish --------------------------------------------------------------------


def test_schedule_from_the_review_then_the_week_views(
    app: Flask, client: FlaskClient, demo: Session
) -> None:
    run = _assigned(demo)
    response = _post(client, f"/coordinator/runs/{run.id}/schedule", {"time_limit": "3"})
    assert response.status_code == 302
    sched_id = int(response.headers["Location"].rsplit("/", 1)[1])
    executor = runs.executor(app)
    assert isinstance(executor, runs.InlineExecutor)
    executor.wait(sched_id, 120)
    assert "查看周排期" in _text(client.get(f"/coordinator/runs/{sched_id}"))

    joint = demo.scalars(
        select(SessionRow)
        .where(SessionRow.run_id == sched_id, SessionRow.kind == "joint_mediation")
        .order_by(SessionRow.starts_at)
    ).first()
    assert joint is not None, "complex cases get joint sessions"
    day = joint.starts_at.astimezone(TZ).date()
    page = _text(client.get(f"/coordinator/schedule?week={day.isoformat()}&by=person"))
    monday = coordination.monday_of(day)
    assert f"{monday.isoformat()} –" in page
    assert 'class="co-chip kind-joint_mediation proposed"' in page  # unpublished, marked
    assert '<abbr class="co-mark" title="联合调解">联</abbr>' in page
    assert joint.cases[0].case_number in page
    for p in joint.participants:
        assert p.person.name in page
    assert 'rel="prev"' in page and 'rel="next"' in page
    assert f"排期运行 #{sched_id} 拟定" in page
    by_room = _text(client.get(f"/coordinator/schedule?week={day.isoformat()}&by=room"))
    assert joint.room is not None and joint.room.name in by_room
    assert 'class="co-chip kind-joint_mediation proposed"' in by_room


def test_the_week_marks_a_published_case_conference(client: FlaskClient, demo: Session) -> None:
    conference = demo.scalars(
        select(SessionRow).where(
            SessionRow.kind == "case_conference",
            SessionRow.is_published.is_(True),
            SessionRow.status != SessionStatus.CANCELLED,
        )
    ).first()
    assert conference is not None
    day = conference.starts_at.astimezone(TZ).date()
    page = _text(client.get(f"/coordinator/schedule?week={day.isoformat()}"))
    assert 'class="co-chip kind-case_conference"' in page
    assert '<abbr class="co-mark" title="疑难案件研讨会">研</abbr>' in page
    assert "显示已发布的场次；目前没有待发布的排期" in page
    bad = client.get("/coordinator/schedule?week=2026-13-40", follow_redirects=True)
    assert "日期格式应为 YYYY-MM-DD" in _text(bad)


def test_publish_confirms_what_changes_then_publishes(client: FlaskClient, demo: Session) -> None:
    run = _assigned(demo)
    sched = workflow.schedule(demo, run.id, today=TODAY, time_limit=3)
    proposals = _proposals(demo, run)
    sessions = demo.scalars(select(SessionRow).where(SessionRow.run_id == sched.id)).all()
    page = _text(client.get(f"/coordinator/runs/{run.id}/publish"))
    cases = {p.case_id for p in proposals}
    assert f'<strong data-count="cases">{len(cases)}</strong>' in page
    assert f'<strong data-count="sessions">{len(sessions)}</strong>' in page
    scheduled = {c.id for s in sessions for c in s.cases}
    assert f"待分派 → 已排期：{len(cases & scheduled)} 件" in page
    assert f"待分派 → 已分派（暂无场次）：{len(cases - scheduled)} 件" in page
    carried = scheduled - cases  # the demo center's cases of earlier days without a session
    assert carried and f"已分派 → 已排期（往日分派、尚无场次的案件）：{len(carried)} 件" in page
    assert f"{len(run.stats['unassigned'])} 件未能分派" in page
    assert "确认发布" in page

    done = _post(client, f"/coordinator/runs/{run.id}/publish", {}, follow_redirects=True)
    assert done.status_code == 200
    assert "已发布运行" in _text(done) and "发布时间" in _text(done)
    demo.expire_all()
    assert demo.get_one(AssignmentRun, run.id).status == RunStatus.PUBLISHED
    assert all(s.is_published for s in demo.scalars(
        select(SessionRow).where(SessionRow.run_id == sched.id)))  # fmt: skip
    assert {demo.get_one(Case, c).status for c in carried} == {CaseStatus.SCHEDULED}

    again = _post(client, f"/coordinator/runs/{run.id}/publish", {})
    assert again.status_code == 409
    assert "未能发布（冲突）" in _text(again) and "already published" in _text(again)
    assert "确认发布" not in _text(again)


def test_publish_refuses_a_schedule_whose_waiting_case_was_scheduled_meanwhile(
    client: FlaskClient, demo: Session
) -> None:
    run = _assigned(demo)
    sched = workflow.schedule(demo, run.id, today=TODAY, time_limit=3)
    cases = {p.case_id for p in _proposals(demo, run)}
    sessions = demo.scalars(select(SessionRow).where(SessionRow.run_id == sched.id)).all()
    waiting = sorted({c.id for s in sessions for c in s.cases} - cases)
    case = demo.get_one(Case, waiting[0])
    case.status = CaseStatus.SCHEDULED  # by another publication, meanwhile
    demo.commit()
    page = _text(client.get(f"/coordinator/runs/{run.id}/publish"))
    assert "在排期后已另行排期或会商，发布会被拒绝" in page and case.case_number in page
    assert "确认发布" not in page and "返回审核，重新排期" in page
    assert coordination.proposal_schedule_run(demo) is None  # nor shown in the week


def test_publish_counts_the_conferences_given_to_cases_of_an_earlier_day(
    client: FlaskClient, demo: Session
) -> None:
    conference = demo.scalars(
        select(SessionRow)
        .where(SessionRow.kind == "case_conference", SessionRow.is_published.is_(True))
        .where(SessionRow.status == SessionStatus.CONFIRMED)
        .order_by(SessionRow.id)
    ).first()
    assert conference is not None and conference.cases
    conference.status = SessionStatus.CANCELLED  # as a repair would, with its bookings
    demo.execute(delete(Booking).where(Booking.session_id == conference.id))
    demo.commit()
    run = _assigned(demo)
    workflow.schedule(demo, run.id, today=TODAY, time_limit=3)
    page = _text(client.get(f"/coordinator/runs/{run.id}/publish"))
    n = len(conference.cases)
    assert f"往日分派、尚无会商的重大案件补排疑难复杂案件会商：{n} 件（状态不变）" in page
    assert "确认发布" in page


def test_publish_lists_what_could_not_be_placed_conferences_marked(
    client: FlaskClient, demo: Session
) -> None:
    run = _assigned(demo)
    sched = workflow.schedule(demo, run.id, today=TODAY, time_limit=3)
    numbers = sorted(p.case.case_number for p in _proposals(demo, run))[:3]
    sched.stats = {
        **sched.stats,
        "unscheduled": [
            {"id": "case-1", "cases": [numbers[0]], "reason": "no_common_time"},
            {"id": "conference-2", "cases": numbers[1:], "reason": "no_room"},
        ],
    }
    demo.commit()
    page = _text(client.get(f"/coordinator/runs/{run.id}/publish"))
    section = _between(page, "未能排期", "</tr>")
    assert f"{numbers[0]}：参加人员在期限内没有共同空闲时间" in section
    assert f"疑难案件研讨会 {'、'.join(numbers[1:])}：没有满足人数与设备要求的调解室" in section
    assert "未排上的会商不改变案件状态" in section


# --- repairs ------------------------------------------------------------------------------------


def test_repairs_show_before_and_after_and_publish(client: FlaskClient, demo: Session) -> None:
    rows = demo.scalars(
        select(SessionRow)
        .where(SessionRow.is_published.is_(True), SessionRow.status == SessionStatus.CONFIRMED)
        .order_by(SessionRow.starts_at)
    ).all()
    row = next(r for r in rows if r.starts_at.astimezone(TZ).date() > TODAY and r.participants)
    person = demo.get_one(Person, row.participants[0].person_id)
    day = row.starts_at.astimezone(TZ).date()
    run = repairs.record_leave(demo, person.id, day, day, today=TODAY, reason="病假", time_limit=5)
    assert run.status == RunStatus.SUCCEEDED
    move = next(m for m in run.stats["moves"] if m["session"] == row.id)

    page = _text(client.get("/coordinator/repairs"))
    card = _between(page, f'id="repair-{run.id}"', "</section>")
    assert f"{person.name}（{person.roster_no}）" in card
    assert f"请假 {day.isoformat()} 至 {day.isoformat()}" in card
    old = row.starts_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
    assert old in card and (row.room is None or row.room.name in card)
    if move["new_start"] is None:
        assert "取消（期限内找不到可安排的时间）" in card
    else:
        new = datetime.fromisoformat(move["new_start"]).astimezone(TZ)
        assert new.strftime("%Y-%m-%d %H:%M") in card
    assert "发布此调整" in card

    done = _post(client, f"/coordinator/repairs/{run.id}/publish", {}, follow_redirects=True)
    assert "已发布调整" in _text(done)
    demo.expire_all()
    assert demo.get_one(AssignmentRun, run.id).status == RunStatus.PUBLISHED
    assert "发布此调整" not in _between(_text(done), f'id="repair-{run.id}"', "</section>")
    again = _post(client, f"/coordinator/repairs/{run.id}/publish", {}, follow_redirects=True)
    assert "操作未执行" in _text(again)


def test_another_role_cannot_open_the_pages(app: Flask, demo: Session) -> None:
    make_user(demo, "lead", "leader")
    client = app.test_client()
    login(client, "lead")
    for path in ("/coordinator/", "/coordinator/runs", "/coordinator/schedule"):
        response = client.get(path)
        assert response.status_code == 403 and "无权访问" in _text(response)
    home = _text(client.get("/"))
    assert "今日收案" not in home  # no navigation entry either


def test_every_category_has_its_chinese_label() -> None:
    from models.vocabulary import CATEGORY_NAMES_ZH
    from web.pages.coordinator import label

    for code, name in CATEGORY_NAMES_ZH.items():
        assert label("category", code) == name


def test_the_week_drops_a_proposal_whose_cases_were_published_meanwhile(
    client: FlaskClient, demo: Session
) -> None:
    first = _assigned(demo)
    stale = workflow.schedule(demo, first.id, today=TODAY, time_limit=3)
    second = workflow.assign(demo, today=TODAY, time_limit=2, parent_run_id=first.id)
    fresh = workflow.schedule(demo, second.id, today=TODAY, time_limit=3)
    assert coordination.proposal_schedule_run(demo) == fresh
    day = min(s.starts_at for s in demo.scalars(
        select(SessionRow).where(SessionRow.run_id == fresh.id))).astimezone(TZ).date()  # fmt: skip
    before = _text(client.get(f"/coordinator/schedule?week={day.isoformat()}"))
    proposed = re.compile(r'class="co-chip kind-\w+ proposed"')
    assert f"排期运行 #{fresh.id} 拟定" in before and proposed.search(before)

    _post(client, f"/coordinator/runs/{second.id}/publish", {})
    demo.expire_all()
    # The first run's schedule is still "succeeded", but its cases are taken: not shown.
    assert demo.get_one(AssignmentRun, stale.id).status == RunStatus.SUCCEEDED
    assert coordination.proposal_schedule_run(demo) is None
    after = _text(client.get(f"/coordinator/schedule?week={day.isoformat()}"))
    assert "目前没有待发布的排期" in after and not proposed.search(after)
    assert 'class="co-chip kind-joint_mediation"' in after  # now published
    refused = _text(client.get(f"/coordinator/runs/{first.id}/publish"))
    assert "发布会被拒绝" in refused and "确认发布" not in refused
