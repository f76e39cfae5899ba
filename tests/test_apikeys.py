"""Court API keys: hashed storage, shown once, prefix, revocation, court scope and the CLI."""

from __future__ import annotations

import hashlib
import re

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import ApiKey, AuditEntry, Court
from web import apikeys


def _court_id(session: Session, code: str) -> int:
    return session.scalars(select(Court.id).where(Court.code == code)).one()


def test_create_stores_only_the_digest_and_audits(session: Session) -> None:
    key, plaintext = apikeys.create_api_key(session, "豫0802", "立案庭")
    session.commit()
    assert re.fullmatch(r"stk_[0-9a-f]{8}_[A-Za-z0-9_\-]{43}", plaintext)
    assert plaintext.startswith(f"stk_{key.prefix}_") and len(key.prefix) == 8
    assert key.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert key.key_hash != plaintext and plaintext not in key.key_hash
    assert key.court_id == _court_id(session, "豫0802") and key.label == "立案庭"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "api_key.create")).one()
    assert entry.object_type == "api_key" and entry.object_id == str(key.id)
    assert entry.new == {"prefix": key.prefix, "court": "豫0802", "label": "立案庭"}
    # Nothing stored anywhere holds the key.
    assert plaintext not in repr(entry.new) and plaintext not in repr(entry.details)


def test_two_keys_differ_in_prefix_and_secret(session: Session) -> None:
    first, one = apikeys.create_api_key(session, "豫0802")
    second, two = apikeys.create_api_key(session, "豫0802")
    assert one != two and first.prefix != second.prefix


def test_unknown_court_and_long_label_are_refused(session: Session) -> None:
    with pytest.raises(apikeys.UnknownCourt, match=r"court: no court with code '豫9999'"):
        apikeys.create_api_key(session, "豫9999")
    with pytest.raises(apikeys.UnknownCourt, match="court: a court code is required"):
        apikeys.create_api_key(session, " ")
    with pytest.raises(apikeys.ApiKeyError, match="label: at most 64"):
        apikeys.create_api_key(session, "豫0802", "x" * 65)


def test_authenticate_accepts_the_key_and_marks_it_used(session: Session) -> None:
    key, plaintext = apikeys.create_api_key(session, "豫0802")
    session.commit()
    assert key.last_used_at is None
    caller = apikeys.authenticate(session, plaintext)
    assert caller is not None
    assert (caller.id, caller.prefix, caller.court_id) == (key.id, key.prefix, key.court_id)
    assert caller.courts == {key.court_id}
    session.refresh(key)
    assert key.last_used_at is not None
    first_use = key.last_used_at
    assert apikeys.authenticate(session, plaintext) == caller
    session.refresh(key)
    assert key.last_used_at == first_use  # moves at most once a minute
    assert apikeys.authenticate(session, plaintext + "x") is None
    assert apikeys.authenticate(session, plaintext[:-1]) is None
    assert apikeys.authenticate(session, key.key_hash) is None  # the digest is not a key
    assert apikeys.authenticate(session, "") is None
    assert apikeys.authenticate(session, None) is None
    assert apikeys.authenticate(session, "stk_" + "a" * 500) is None


def test_revoked_key_stops_working_and_revocation_is_audited(session: Session) -> None:
    key, plaintext = apikeys.create_api_key(session, "豫0802")
    apikeys.revoke_api_key(session, key.prefix, actor="admin")
    session.commit()
    assert key.revoked_at is not None
    assert apikeys.authenticate(session, plaintext) is None
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "api_key.revoke")).one()
    assert entry.actor == "admin" and entry.object_id == str(key.id)
    with pytest.raises(apikeys.AlreadyRevoked, match="already revoked"):
        apikeys.revoke_api_key(session, key.prefix)
    with pytest.raises(apikeys.UnknownApiKey, match="no API key with prefix 'nope'"):
        apikeys.revoke_api_key(session, "nope")


def test_revoke_accepts_the_whole_key_pasted(session: Session) -> None:
    key, plaintext = apikeys.create_api_key(session, "豫0803")
    assert apikeys.revoke_api_key(session, plaintext) is key


def test_visible_courts_intermediate_sees_its_basic_courts(session: Session) -> None:
    intermediate, _ = apikeys.create_api_key(session, "豫08")
    basic, _ = apikeys.create_api_key(session, "豫0802")
    codes = {
        session.get_one(Court, cid).code for cid in apikeys.visible_court_ids(session, intermediate)
    }
    assert {"豫08", "豫0802", "豫0883"} <= codes and len(codes) == 11
    assert apikeys.visible_court_ids(session, basic) == {_court_id(session, "豫0802")}


def test_authenticate_reads_the_visible_courts_with_the_key(session: Session) -> None:
    intermediate, plaintext = apikeys.create_api_key(session, "豫08")
    basic, basic_plaintext = apikeys.create_api_key(session, "豫0802")
    caller = apikeys.authenticate(session, plaintext)
    assert caller is not None
    assert caller.courts == apikeys.visible_court_ids(session, intermediate)
    assert len(caller.courts) == 11
    basic_caller = apikeys.authenticate(session, basic_plaintext)
    assert basic_caller is not None and basic_caller.courts == {basic.court_id}
    apikeys.revoke_api_key(session, basic.prefix)
    session.commit()
    assert apikeys.authenticate(session, basic_plaintext) is None


# --- CLI -----------------------------------------------------------------------------------


def test_cli_create_prints_the_key_once_with_a_warning(
    runner: FlaskCliRunner, engine: Engine
) -> None:
    result = runner.invoke(args=["create-api-key", "--court", "豫0802", "--label", "立案庭"])
    assert result.exit_code == 0, result.output
    keys = re.findall(r"stk_[0-9a-f]{8}_[A-Za-z0-9_\-]+", result.output)
    assert len(keys) == 1
    assert result.output.count(keys[0]) == 1
    assert "only time it is shown" in result.output
    with Session(engine) as s:
        caller = apikeys.authenticate(s, keys[0])
        assert caller is not None
        found = s.get_one(ApiKey, caller.id)
        assert found.label == "立案庭"

    listing = runner.invoke(args=["list-api-keys"])
    assert listing.exit_code == 0, listing.output
    assert found.prefix in listing.output and "豫0802" in listing.output
    assert keys[0] not in listing.output and found.key_hash not in listing.output
    assert "立案庭" in listing.output


def test_cli_revoke_and_list(runner: FlaskCliRunner, engine: Engine) -> None:
    assert "No API keys" in runner.invoke(args=["list-api-keys"]).output
    created = runner.invoke(args=["create-api-key", "--court", "豫08"])
    prefix = re.search(r"API key ([0-9a-f]{8})", created.output)
    assert prefix is not None
    revoked = runner.invoke(args=["revoke-api-key", prefix[1]])
    assert revoked.exit_code == 0, revoked.output
    assert f"API key {prefix[1]}" in revoked.output and "revoked" in revoked.output
    with Session(engine) as s:
        key = s.scalars(select(ApiKey).where(ApiKey.prefix == prefix[1])).one()
        assert key.revoked_at is not None
    listing = runner.invoke(args=["list-api-keys"])
    row = next(line for line in listing.output.splitlines() if line.startswith(prefix[1]))
    assert row.rstrip()[-1].isdigit()  # the revoked column holds a time
    again = runner.invoke(args=["revoke-api-key", prefix[1]])
    assert again.exit_code == 1 and "already revoked" in again.output


def test_cli_errors_are_clear(runner: FlaskCliRunner) -> None:
    bad_court = runner.invoke(args=["create-api-key", "--court", "京01"])
    assert bad_court.exit_code == 1 and "no court with code '京01'" in bad_court.output
    assert "stk_" not in bad_court.output
    missing = runner.invoke(args=["create-api-key"])
    assert missing.exit_code == 2 and "--court" in missing.output
    unknown = runner.invoke(args=["revoke-api-key", "deadbeef"])
    assert unknown.exit_code == 1 and "no API key with prefix 'deadbeef'" in unknown.output
