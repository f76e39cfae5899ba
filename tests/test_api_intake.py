"""Case intake through the API (web/api_intake.py), on SQLite and PostgreSQL: cases created and
then found by the lookup, partial and strict intake, duplicates, the key's court scope, the shape
of the body, and the proof that the API and the transfer-sheet import reject the same values
with the same reasons (they share one pipeline, web/transfer_sheet.import_records)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models import AuditEntry, Case, Institution
from models.vocabulary import CaseMode, Complexity, Procedure
from tests.factories import login, make_user
from web import api, api_intake, transfer_sheet
from web.apikeys import create_api_key
from web.transfer_sheet import FIELD_HEADERS, NOT_YOUR_COURT, ImportOptions, import_cases

TODAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
URL = "/api/v1/cases"
BANK = "中国工商银行股份有限公司焦作分行"
RURAL_BANK = "焦作解放农村商业银行股份有限公司"

Record = dict[str, Any]


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "now", lambda: NOW)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _key(session: Session, court: str) -> tuple[str, dict[str, str]]:
    row, plaintext = create_api_key(session, court)
    session.commit()
    return row.prefix, {"Authorization": f"Bearer {plaintext}"}


@pytest.fixture
def jiefang(session: Session) -> dict[str, str]:
    """The headers of a 解放区人民法院 (豫0802) key."""
    return _key(session, "豫0802")[1]


def delegated(seq: int = 1001) -> Record:
    """A valid 委派 case of 解放区人民法院, with the sheet's values under the field names."""
    return {
        "case_number": f"(2026)豫0802民诉前调{seq}号",
        "court": "解放区人民法院",
        "mode": "委派",
        "instance": "",
        "procedure": "简易",
        "cause": "金融借款合同纠纷",
        "amount": "120000.00",
        "plaintiff": BANK,
        "defendants": "张三",
        "received_on": "2026-11-02",
        "is_complex": "否",
        "needs_evaluation": "否",
        "chosen_mediator": "",
        "notes": "",
    }


def entrusted(seq: int = 567) -> Record:
    """A valid 委托 一审 case of 解放区人民法院."""
    return delegated() | {
        "case_number": f"(2026)豫0802民初{seq}号",
        "mode": "委托",
        "instance": "一审",
        "procedure": "普通",
        "cause": "信用卡纠纷",
        "amount": "86000.00",
        "plaintiff": RURAL_BANK,
        "defendants": "李四",
        "received_on": "2026-11-20",
    }


def post(client: FlaskClient, headers: dict[str, str], cases: Any, **body: Any) -> Any:
    return client.post(URL, json={"cases": cases, **body}, headers=headers)


def case_count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Case)) or 0


def stored(session: Session, number: str) -> Case:
    session.expire_all()
    return session.scalars(select(Case).where(Case.case_number == number)).one()


def imports(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return list(
        session.scalars(select(AuditEntry).where(AuditEntry.action == "cases.import")).all()
    )


# --- created, and then found -------------------------------------------------------------------


def test_intake_creates_cases_that_the_lookup_finds(session: Session, client: FlaskClient) -> None:
    prefix, headers = _key(session, "豫0802")
    response = post(client, headers, [delegated(1001), entrusted(567)])

    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json() == {
        "created": [
            {"index": 0, "case_number": "(2026)豫0802民诉前调1001号"},
            {"index": 1, "case_number": "(2026)豫0802民初567号"},
        ],
        "duplicates": [],
        "errors": [],
        "warnings": [],
    }
    case = stored(session, "(2026)豫0802民诉前调1001号")
    assert (case.mode, case.procedure, case.complexity) == (
        CaseMode.DELEGATED,
        Procedure.SIMPLIFIED,
        Complexity.SIMPLE,
    )
    assert case.amount == Decimal("120000.00")
    assert case.received_on == date(2026, 11, 2)
    assert case.deadline_on == date(2026, 12, 2)

    found = client.get(f"{URL}/{quote('（2026）豫0802民初567号')}", headers=headers)
    assert found.status_code == 200
    body = found.get_json()
    assert body["case_number"] == "(2026)豫0802民初567号"
    assert body["status"] == "received"
    assert body["deadline"] == "2026-12-07"
    assert body["team"] == [] and body["next_session"] is None

    [entry] = imports(session)
    assert entry.actor == f"apikey:{prefix}"
    assert entry.object_type == "api_request"
    assert entry.details["via"] == "api"
    assert (entry.details["imported"], entry.details["rejected_rows"]) == (2, [])


def test_json_numbers_booleans_and_a_list_of_defendants(
    session: Session, client: FlaskClient, jiefang: dict[str, str]
) -> None:
    case = entrusted() | {
        "case_number": "（2026）豫0802民初567号",
        "instance": 1,
        "amount": 5_000_000.5,
        "is_complex": True,
        "needs_evaluation": 1,
        "defendants": ["李四", "焦作市某某商贸有限公司"],
        "chosen_mediator": None,
        "notes": None,
    }
    del case["procedure"]  # a missing field is an empty cell: 委托 needs 程序
    rejected = post(client, jiefang, [case])
    assert rejected.status_code == 200
    assert [(e["field"], e["reason"]) for e in rejected.get_json()["errors"]] == [
        ("procedure", "程序 is empty; it must be 普通, 简易 or 小额")
    ]

    response = post(client, jiefang, [case | {"procedure": "普通程序"}])
    assert response.status_code == 201, response.get_data(as_text=True)
    stored_case = stored(session, "(2026)豫0802民初567号")
    assert stored_case.instance == 1
    assert stored_case.amount == Decimal("5000000.50")
    assert stored_case.complexity == Complexity.MAJOR
    assert stored_case.needs_evaluation is True
    assert [p.name for p in stored_case.defendants] == ["李四", "焦作市某某商贸有限公司"]
    assert stored_case.notes is None


def test_one_bad_case_among_good_ones(
    session: Session, client: FlaskClient, jiefang: dict[str, str]
) -> None:
    cases = [delegated(1001), delegated(1002) | {"amount": "-5"}, delegated(1003)]
    response = post(client, jiefang, cases)

    assert response.status_code == 201
    body = response.get_json()
    assert [c["index"] for c in body["created"]] == [0, 2]
    assert body["errors"] == [
        {
            "index": 1,
            "field": "amount",
            "header": "标的额（元）",
            "reason": "amount -5 is negative",
        }
    ]
    assert sorted(session.scalars(select(Case.seq))) == [1001, 1003]
    [entry] = imports(session)
    assert entry.details["rejected_rows"] == [1]


def test_every_problem_of_a_case_is_reported_in_column_order(
    client: FlaskClient, jiefang: dict[str, str]
) -> None:
    bad = delegated() | {"received_on": "2026-02-30", "amount": "abc", "case_number": "2026-1"}
    errors = post(client, jiefang, [delegated(1001), bad]).get_json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [
        (1, "case_number"),
        (1, "amount"),
        (1, "received_on"),
    ]


def test_strict_with_a_bad_case_stores_nothing(
    session: Session, client: FlaskClient, jiefang: dict[str, str]
) -> None:
    cases = [delegated(1001), delegated(1002) | {"received_on": "2026-02-30"}, entrusted()]
    response = post(client, jiefang, cases, strict=True)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "rejected"
    assert "nothing was stored" in error["message"]
    assert error["details"]["cases[1].received_on"] == "2026-02-30 is not a real date"
    assert error["details"]["errors"] == [
        {
            "index": 1,
            "field": "received_on",
            "header": "收案日期",
            "reason": "2026-02-30 is not a real date",
        }
    ]
    assert case_count(session) == 0
    assert session.scalar(select(func.count()).select_from(Institution)) == 0
    assert imports(session) == []


def test_strict_with_every_case_valid_stores_all(
    session: Session, client: FlaskClient, jiefang: dict[str, str]
) -> None:
    response = post(client, jiefang, [delegated(1001), entrusted()], strict=True)
    assert response.status_code == 201
    assert len(response.get_json()["created"]) == 2
    assert case_count(session) == 2


# --- duplicates -----------------------------------------------------------------------------------


def test_the_same_cases_sent_again_are_duplicates(
    session: Session, client: FlaskClient, jiefang: dict[str, str]
) -> None:
    cases = [delegated(1001), entrusted()]
    assert post(client, jiefang, cases).status_code == 201
    # The same data written differently is the same case.
    again = [delegated(1001) | {"amount": 120000, "court": "豫0802"}, entrusted(), delegated(1002)]
    response = post(client, jiefang, again)

    assert response.status_code == 201
    body = response.get_json()
    assert body["duplicates"] == [
        {"index": 0, "case_number": "(2026)豫0802民诉前调1001号"},
        {"index": 1, "case_number": "(2026)豫0802民初567号"},
    ]
    assert body["created"] == [{"index": 2, "case_number": "(2026)豫0802民诉前调1002号"}]

    nothing_new = post(client, jiefang, cases)
    assert nothing_new.status_code == 200
    assert nothing_new.get_json()["created"] == []
    assert len(nothing_new.get_json()["duplicates"]) == 2
    assert case_count(session) == 3


def test_a_stored_case_sent_with_other_data_is_rejected(
    session: Session, client: FlaskClient, jiefang: dict[str, str]
) -> None:
    assert post(client, jiefang, [delegated(1001)]).status_code == 201
    response = post(client, jiefang, [delegated(1001) | {"amount": "99000"}])

    assert response.status_code == 200
    [error] = response.get_json()["errors"]
    assert (error["index"], error["field"]) == (0, "case_number")
    assert error["reason"] == (
        "duplicate 案号: (2026)豫0802民诉前调1001号 is already in the database with different "
        "data: 标的额（元） differ"
    )
    assert stored(session, "(2026)豫0802民诉前调1001号").amount == Decimal("120000.00")


def test_a_case_twice_in_one_request(client: FlaskClient, jiefang: dict[str, str]) -> None:
    twice = [delegated(1001), delegated(1001) | {"case_number": "(２０２６)豫0802民诉前调1001号"}]
    body = post(client, jiefang, twice).get_json()
    assert [c["index"] for c in body["created"]] == [0]
    assert body["errors"] == [
        {
            "index": 1,
            "field": "case_number",
            "header": "案号",
            "reason": (
                "duplicate 案号 (2026)豫0802民诉前调1001号 in this request (first at index 0)"
            ),
        }
    ]


# --- the key's court -----------------------------------------------------------------------------


def test_another_courts_case_is_rejected_on_court(
    session: Session, client: FlaskClient, jiefang: dict[str, str]
) -> None:
    _, zhongzhan = _key(session, "豫0803")
    response = post(client, zhongzhan, [delegated(1001)])

    assert response.status_code == 200
    assert response.get_json()["errors"] == [
        {
            "index": 0,
            "field": "court",
            "header": "移送法院",
            "reason": NOT_YOUR_COURT.in_locale("en"),
        }
    ]
    assert case_count(session) == 0

    # Once 解放区 has sent it, the other court learns nothing more about it than before.
    assert post(client, jiefang, [delegated(1001)]).status_code == 201
    again = post(client, zhongzhan, [delegated(1001) | {"amount": "1"}]).get_json()
    assert again["errors"] == response.get_json()["errors"]
    assert again["duplicates"] == []


def test_the_intermediate_court_sends_its_basic_courts_cases(
    session: Session, client: FlaskClient
) -> None:
    _, intermediate = _key(session, "豫08")
    appeal = entrusted() | {
        "case_number": "(2026)豫08民终89号",
        "court": "焦作市中级人民法院",
        "instance": "二审",
    }
    response = post(client, intermediate, [delegated(1001), appeal])
    assert response.status_code == 201
    assert len(response.get_json()["created"]) == 2

    _, basic = _key(session, "豫0802")
    reason = post(client, basic, [appeal | {"case_number": "(2026)豫08民终90号"}]).get_json()
    assert [(e["field"], e["reason"]) for e in reason["errors"]] == [
        ("court", NOT_YOUR_COURT.in_locale("en"))
    ]


def test_a_logged_in_coordinator_sends_any_courts_cases(
    session: Session, client: FlaskClient
) -> None:
    make_user(session, "coord", "coordinator")
    token = login(client, "coord")
    other = delegated(1001) | {
        "case_number": "(2026)豫0803民诉前调1001号",
        "court": "中站区人民法院",
    }
    response = post(client, {"X-CSRFToken": token}, [delegated(1001), other])

    assert response.status_code == 201, response.get_data(as_text=True)
    assert len(response.get_json()["created"]) == 2
    [entry] = imports(session)
    assert entry.actor == "coord"
    # Without the page's CSRF token a browser session cannot post.
    assert post(client, {}, [delegated(1002)]).status_code == 400


def test_the_reasons_are_english_whatever_the_page_language(
    session: Session, client: FlaskClient, jiefang: dict[str, str]
) -> None:
    """Like every other API message, the reasons are English: not the Chinese that the
    coordinator's pages show, whether the session (cookie) or ?lang= asks for zh_CN."""
    make_user(session, "coord", "coordinator")
    token = login(client, "coord")
    assert "退出" in client.get("/coordinator/?lang=zh_CN").get_data(as_text=True)
    bad = delegated(1001) | {"amount": "八万六", "received_on": "2026-13-01"}
    english = [
        ("amount", "'八万六' is not a number"),
        ("received_on", "2026-13-01 is not a real date"),
    ]

    for url, headers in [(f"{URL}?lang=zh_CN", {"X-CSRFToken": token}), (URL, jiefang)]:
        response = client.post(url, json={"cases": [bad]}, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert [(e["field"], e["reason"]) for e in response.get_json()["errors"]] == english

        strict = client.post(url, json={"cases": [bad], "strict": True}, headers=headers)
        assert strict.status_code == 422
        details = strict.get_json()["error"]["details"]
        assert details["cases[0].amount"] == "'八万六' is not a number"
        assert [(e["field"], e["reason"]) for e in details["errors"]] == english
    assert case_count(session) == 0


# --- the shape of the body ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param({"cases": [{}] * 501}, "cases", "at most 500 cases", id="501"),
        pytest.param({"cases": []}, "cases", "at least one case", id="empty"),
        pytest.param({}, "cases", "required", id="no-cases"),
        pytest.param({"cases": {"0": {}}}, "cases", "must be an array", id="cases-object"),
        pytest.param({"cases": "(2026)豫0802民诉前调1号"}, "cases", "must be an array", id="str"),
        pytest.param({"cases": [{}, "x"]}, "cases[1]", "must be an object", id="case-not-object"),
        pytest.param({"cases": [{}, [1]]}, "cases[1]", "must be an object", id="case-list"),
        pytest.param({"cases": [{}], "court": "豫0802"}, "court", "unknown field", id="top"),
        pytest.param({"cases": [{}, {"foo": 1}]}, "cases[1].foo", "unknown field", id="foo"),
        pytest.param(
            {"cases": [{"案号": "(2026)豫0802民诉前调1号"}]},
            "cases[0].案号",
            "unknown field",
            id="header-as-field",
        ),
        pytest.param({"cases": [{}], "strict": "yes"}, "strict", "true or false", id="strict"),
        pytest.param(
            {"cases": [{"amount": True}]},
            "cases[0].amount",
            "must be a string, a number or null",
            id="amount-bool",
        ),
        pytest.param(
            {"cases": [{"case_number": 1001}]},
            "cases[0].case_number",
            "must be a string or null",
            id="case-number-int",
        ),
        pytest.param(
            {"cases": [{"defendants": ["张三", 2]}]},
            "cases[0].defendants",
            "must be a string, an array of strings or null",
            id="defendant-int",
        ),
        pytest.param(
            {"cases": [{"is_complex": 0.5, "notes": {"a": 1}}]},
            "cases[0].notes",
            "must be a string or null",
            id="notes-object",
        ),
        pytest.param([{}], "body", "not a JSON object", id="body-list"),
    ],
)
def test_a_body_of_the_wrong_shape_is_400_naming_the_field(
    session: Session,
    client: FlaskClient,
    jiefang: dict[str, str],
    body: Any,
    field: str,
    message: str,
) -> None:
    response = client.post(URL, json=body, headers=jiefang)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_request"
    assert message in error["details"][field]
    assert case_count(session) == 0
    if isinstance(body, dict):  # the OpenAPI request schema refuses it too
        assert list(_request_validator().iter_errors(body))


def test_a_lone_surrogate_is_not_text(
    session: Session, client: FlaskClient, jiefang: dict[str, str]
) -> None:
    # JSON may escape half a surrogate pair; no database column can store it.
    body = '{"cases": [{"plaintiff": "\\ud800银行", "\\udc00": 1}]}'
    response = client.post(URL, data=body, content_type="application/json", headers=jiefang)
    assert response.status_code == 400
    assert response.get_json()["error"]["details"] == {"cases[0].\\udc00": "unknown field"}

    body = '{"cases": [{"plaintiff": "\\ud800银行"}]}'
    response = client.post(URL, data=body, content_type="application/json", headers=jiefang)
    assert response.status_code == 200
    errors = {e["field"]: e["reason"] for e in response.get_json()["errors"]}
    assert errors["plaintiff"] == "contains U+D800, a lone surrogate, which is not text"
    assert case_count(session) == 0


def test_not_json_is_400(client: FlaskClient, jiefang: dict[str, str]) -> None:
    response = client.post(URL, data="cases", headers=jiefang)
    assert response.status_code == 400
    assert response.get_json()["error"]["details"] == {"body": "not a JSON object"}


def test_500_cases_are_accepted(client: FlaskClient, jiefang: dict[str, str]) -> None:
    response = post(client, jiefang, [{}] * 500)
    assert response.status_code == 200
    errors = response.get_json()["errors"]
    assert {e["index"] for e in errors} == set(range(500))


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer stk_00000000_nothing"}, {"X-API-Key": "not-a-key"}],
    ids=["missing", "unknown", "malformed"],
)
def test_no_or_bad_key_is_401(
    session: Session, client: FlaskClient, headers: dict[str, str]
) -> None:
    response = post(client, headers, [delegated()])
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert case_count(session) == 0


# --- one pipeline: the sheet import and the API give the same reasons -----------------------------


def _sheet(tmp_path: Path, record: Record) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(FIELD_HEADERS.values())
    writer.writerow([record.get(f, "") for f in FIELD_HEADERS])
    path = tmp_path / "sheet.csv"
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


SAME_REASONS = [
    pytest.param(delegated, {"case_number": "2026豫0802民诉前调1001号"}, None, id="no-year"),
    pytest.param(delegated, {"case_number": "(2026)豫0802民诉前调1001"}, None, id="no-hao"),
    pytest.param(delegated, {"case_number": "(2027)豫0802民诉前调1号"}, None, id="future-year"),
    pytest.param(delegated, {"case_number": "(2026)豫0802民诉前调99999999999号"}, None, id="seq"),
    pytest.param(delegated, {"case_number": ""}, None, id="no-case-number"),
    pytest.param(delegated, {"court": "洛阳市西工区人民法院"}, None, id="unknown-court"),
    pytest.param(delegated, {"mode": "调解"}, None, id="bad-mode"),
    pytest.param(delegated, {"instance": "1"}, {"instance": 1}, id="instance-for-delegated"),
    pytest.param(entrusted, {"instance": "三审"}, None, id="third-instance"),
    pytest.param(entrusted, {"instance": "3"}, {"instance": 3}, id="instance-3"),
    pytest.param(delegated, {"procedure": "特别程序"}, None, id="bad-procedure"),
    pytest.param(delegated, {"cause": "离婚纠纷"}, None, id="not-financial"),
    pytest.param(delegated, {"amount": "十二万"}, None, id="amount-words"),
    pytest.param(delegated, {"amount": "-5000"}, {"amount": -5000}, id="negative"),
    pytest.param(delegated, {"amount": "100.125"}, {"amount": 100.125}, id="three-decimals"),
    pytest.param(delegated, {"amount": "1000000000000"}, {"amount": 10**12}, id="too-large"),
    pytest.param(delegated, {"amount": ""}, {"amount": None}, id="no-amount"),
    pytest.param(delegated, {"received_on": "2026-02-30"}, None, id="feb-30"),
    pytest.param(delegated, {"received_on": "11/27/2026"}, None, id="not-a-date"),
    pytest.param(delegated, {"received_on": "2026-11-29"}, None, id="future-date"),
    pytest.param(delegated, {"is_complex": "可能"}, None, id="bad-flag"),
    pytest.param(delegated, {"needs_evaluation": "2"}, {"needs_evaluation": 2}, id="flag-2"),
    pytest.param(delegated, {"plaintiff": ""}, {"plaintiff": None}, id="no-plaintiff"),
    pytest.param(delegated, {"plaintiff": "银" * 129}, None, id="long-plaintiff"),
    pytest.param(delegated, {"defendants": "、 、"}, {"defendants": []}, id="no-defendants"),
    pytest.param(delegated, {"notes": "补充\x00材料"}, None, id="nul-in-notes"),
    pytest.param(delegated, {"defendants": "张三、李\x07四"}, None, id="bell-in-a-name"),
    pytest.param(delegated, {"chosen_mediator": "张无名"}, None, id="unknown-mediator"),
    pytest.param(
        delegated, {"case_number": "(2026)豫0802民初1001号"}, None, id="min-chu-for-delegated"
    ),
    pytest.param(
        entrusted, {"case_number": "(2026)豫0802民终567号"}, None, id="min-zhong-for-first"
    ),
    pytest.param(
        delegated, {"case_number": "(2026)豫0803民诉前调1001号"}, None, id="court-code-mismatch"
    ),
    pytest.param(
        entrusted,
        {"procedure": "小额", "instance": "二审", "case_number": "(2026)豫0802民终1号"},
        None,
        id="small-claims-appeal",
    ),
    pytest.param(
        delegated,
        {"case_number": "2026-1", "amount": "abc", "received_on": "2026-02-30"},
        None,
        id="several",
    ),
]


@pytest.mark.parametrize(("base", "change", "as_json"), SAME_REASONS)
def test_the_sheet_and_the_api_reject_with_the_same_reasons(
    session: Session,
    client: FlaskClient,
    jiefang: dict[str, str],
    tmp_path: Path,
    base: Callable[[], Record],
    change: Record,
    as_json: Record | None,
) -> None:
    report = import_cases(session, _sheet(tmp_path, base() | change), ImportOptions(today=TODAY))
    session.rollback()  # leave the database (and SQLite's write lock) to the API
    # The page shows the sheet's reasons in its language; the API gives them in English.
    sheet = [(e.field, e.reason.in_locale("en")) for e in report.rejected]
    assert sheet, "the sheet import should reject this row"

    # The same values as text, and where JSON has a type for them (number, list, null), as that:
    # the reasons echo the value as the sheet's cell shows it.
    for values in [change] if as_json is None else [change, as_json]:
        response = post(client, jiefang, [base() | values])
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert body["created"] == []
        assert [(e["header"], e["reason"]) for e in body["errors"]] == sheet
        assert all(e["header"] == FIELD_HEADERS[e["field"]] for e in body["errors"])
    assert case_count(session) == 0


# --- a concurrent intake, and the OpenAPI description --------------------------------------


def test_a_concurrent_intake_of_the_same_case_is_409_and_stores_nothing(
    session: Session,
    engine: Engine,
    client: FlaskClient,
    jiefang: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Use the key once, so that the intake itself writes nothing before its inserts (SQLite).
    client.get(f"{URL}/{quote('(2026)豫0802民初1号')}", headers=jiefang)
    original = transfer_sheet.calendar_from_db

    def race(s: Session, **kw: Any) -> Any:
        # After the intake found 1001 missing and before it inserts it, another request stores it.
        monkeypatch.setattr(transfer_sheet, "calendar_from_db", original)
        with Session(engine) as other:
            report = transfer_sheet.import_records(
                other,
                [(0, delegated(1001) | {"amount": "1"})],
                ImportOptions(today=TODAY),
                source=transfer_sheet.RecordSource(kind="test", name="race"),
            )
            assert report.imported
            other.commit()
        return original(s, **kw)

    monkeypatch.setattr(transfer_sheet, "calendar_from_db", race)
    response = post(client, jiefang, [delegated(1002), delegated(1001)])

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    assert sorted(session.scalars(select(Case.seq))) == [1001]
    assert stored(session, "(2026)豫0802民诉前调1001号").amount == Decimal("1.00")
    assert [e.object_type for e in imports(session)] == ["test"]


def _openapi() -> dict[str, Any]:
    doc = api.openapi_document()
    doc["paths"] = doc["paths"] | api_intake.OPENAPI_PATHS
    return doc


def _json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: ``nullable`` becomes a null type."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k not in ("nullable", "example")}
    if node.get("nullable") and "type" in node:
        out["type"] = [node["type"], "null"]
    return out


def _request_validator() -> Draft202012Validator:
    operation = api_intake.OPENAPI_PATHS[URL]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    return Draft202012Validator(_json_schema(schema))


def test_openapi_describes_the_intake(client: FlaskClient, jiefang: dict[str, str]) -> None:
    doc = _openapi()
    operation = doc["paths"][URL]["post"]
    assert {"200", "201", "400", "401", "422"} <= set(operation["responses"])
    text = str(doc)
    for ref in {r for r in text.split("'$ref': '#/")[1:]}:
        node: Any = doc
        for part in ref.split("'")[0].split("/"):
            node = node[part]

    cases = [delegated(1001), entrusted() | {"instance": 1, "defendants": ["李四"]}, {}]
    body = {"cases": cases, "strict": False}
    assert list(_request_validator().iter_errors(body)) == []
    response = client.post(URL, json=body, headers=jiefang)
    assert response.status_code == 201
    result = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert list(Draft202012Validator(_json_schema(result)).iter_errors(response.get_json())) == []
