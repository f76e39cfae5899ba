"""The English catalogue (web/translations, see `make translations`): every msgid that the code
and templates mark is translated, with the same placeholders and no fuzzy entries; the compiled
messages.mo matches the .po; and the pages switch between zh-CN (the default) and English."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from factories import login, make_user
from flask import Flask
from sqlalchemy.orm import Session

from web import pages
from web.pages import NAV

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "web" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
# The same keywords as the Makefile's `translations` target (checked below).
KEYWORDS = ("-k", "_l", "-k", "_t", "-k", "gettext", "-k", "ngettext:1,2")
FIX = (
    "run `make translations`, fill in the empty msgstr in "
    "web/translations/en/LC_MESSAGES/messages.po, then run `make translations` again"
)
NAMED = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _read_po() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="en")


def _strings(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def _ids(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def _where(message: Message) -> str:
    return " ".join(f"{path}:{line}" for path, line in message.locations) or "?"


def _placeholders(text: str) -> tuple[set[str], int, int]:
    """The %(name)s placeholders, and how many %% and lone % are left beside them."""
    rest = NAMED.sub("", text)
    return set(NAMED.findall(text)), rest.count("%%"), rest.replace("%%", "").count("%")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """A fresh extraction of the working tree, exactly as `make translations` does it."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"]
    done = subprocess.run(
        [*command, *KEYWORDS, "-o", str(pot), "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with pot.open("rb") as f:
        return read_po(f)


def test_makefile_extracts_with_the_same_keywords() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"pybabel extract -F babel.cfg {' '.join(KEYWORDS)}" in makefile


def test_every_extracted_msgid_is_translated(extracted: Catalog) -> None:
    catalog = _read_po()
    assert len(extracted) > 0
    missing = []
    for message in extracted:
        if not message.id:
            continue
        entry = catalog.get(message.id, message.context)
        if entry is None or not all(s.strip() for s in _strings(entry)):
            missing.append(f"  {_where(message)}: {_ids(message)[0]!r}")
    assert not missing, f"{len(missing)} msgid(s) without English ({FIX}):\n" + "\n".join(missing)


def test_no_fuzzy_entries() -> None:
    catalog = _read_po()
    assert not catalog.fuzzy, "the .po header is marked fuzzy: pybabel compile would skip it"
    fuzzy = [f"  {_where(m)}: {_ids(m)[0]!r}" for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, "fuzzy entries (check the msgstr, then drop the flag):\n" + "\n".join(fuzzy)


def test_placeholders_match() -> None:
    catalog = _read_po()
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        wanted = _placeholders(_ids(message)[0])
        for string in _strings(message):
            if string and _placeholders(string) != wanted:
                wrong.append(f"  {_where(message)}: {_ids(message)[0]!r} -> {string!r}")
    assert not wrong, "msgstr placeholders differ from the msgid's:\n" + "\n".join(wrong)
    errors = [f"  {m.id!r}: {'; '.join(map(str, errs))}" for m, errs in catalog.check()]
    assert not errors, "pybabel compile would reject:\n" + "\n".join(errors)


def test_compiled_catalogue_is_up_to_date() -> None:
    """messages.mo is what `pybabel compile` makes of the .po (the .mo is what runs)."""
    assert MO.exists(), f"{MO.relative_to(ROOT)} is missing: run `make translations`"
    with MO.open("rb") as f:
        compiled = {(m.id, m.context): m.string for m in read_mo(f) if m.id}
    source = {(m.id, m.context): m.string for m in _read_po() if m.id and m.string}
    changed = {key for key in compiled.keys() & source.keys() if compiled[key] != source[key]}
    stale = sorted(str(key[0]) for key in (compiled.keys() ^ source.keys()) | changed)
    assert not stale, f"messages.mo differs from the .po ({FIX}): {stale[:10]}"


def test_every_navigation_label_is_translated() -> None:
    """Every role's navigation (web/pages NAV, registered when the page modules load)."""
    for module in pkgutil.iter_modules(pages.__path__, f"{pages.__name__}."):
        importlib.import_module(module.name)
    catalog = _read_po()
    untranslated = [
        item.label for item in NAV if not getattr(catalog.get(item.label), "string", "")
    ]
    assert NAV and not untranslated, f"navigation labels without English: {untranslated}"


def test_login_page_follows_the_language(app: Flask) -> None:
    english = app.test_client().get("/login?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english
    assert "Log in" in english
    assert "登录" not in english

    chinese = app.test_client().get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in chinese
    assert "登录" in chinese
    assert "Log in" not in chinese


def test_coordinator_navigation_in_english(app: Flask, session: Session) -> None:
    make_user(session, "coord", "coordinator")
    client = app.test_client()
    login(client, "coord")

    page = client.get("/coordinator/?lang=en")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'lang="en"' in body
    assert "Log out" in body
    nav = re.search(r'<nav aria-label="Main navigation">(.*?)</nav>', body, re.S)
    assert nav, "no English main navigation"
    labels = [re.sub(r"<[^>]+>", "", a).strip() for a in re.findall(r"<a .*?</a>", nav[1], re.S)]
    assert len(labels) >= 4, labels
    assert not [label for label in labels if CJK.search(label)], labels

    # The choice is remembered; ?lang=zh_CN switches back.
    assert "Log out" in client.get("/coordinator/").get_data(as_text=True)
    assert "退出" in client.get("/coordinator/?lang=zh_CN").get_data(as_text=True)
