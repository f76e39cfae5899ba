"""Languages: zh-CN by default, English as a toggle (Flask-Babel).

The choice is ``?lang=en`` / ``?lang=zh_CN`` on any page, remembered in the session cookie;
without one, a logged-in user's own locale, then zh_CN. Outside a request (the CLI, a worker)
it is zh_CN unless ``flask_babel.force_locale`` says otherwise. Catalogues live in
web/translations.

A message made before anyone knows who will read it (a transfer-sheet import's reasons, shown
on the page, returned by the API and printed by the CLI) is a ``LazyText``: the msgid and its
parameters, translated when it is shown.
"""

from __future__ import annotations

import functools
import gettext as _gettext
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from babel.support import Translations
from flask import Flask, has_request_context, request, session
from flask_babel import Babel, get_locale
from flask_babel import gettext as _flask_gettext
from flask_login import current_user

LOCALES = ("zh_CN", "en")
DEFAULT = "zh_CN"
TRANSLATIONS = Path(__file__).parent / "translations"


@dataclass(frozen=True)
class LazyText:
    """A msgid (the Chinese source text) with its ``%(name)s`` parameters, translated when it
    is shown rather than when it is made. A plain, comparable value: it can sit in a report and
    be rendered later in any language.

    ``str(text)`` is the current Flask-Babel locale's: the page's in a request, what
    ``force_locale`` set, and the msgid itself (Chinese) outside an app context.
    ``text.in_locale("en")`` is the given locale's anywhere, with or without an app: use it
    for what is answered or stored in a fixed language (the API, the CLI, audit entries)."""

    msgid: str
    params: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return str(_flask_gettext(self.msgid, **dict(self.params)))

    def in_locale(self, locale: str) -> str:
        text = _catalogue(locale).gettext(self.msgid)
        # As flask_babel.gettext: a msgid without parameters is not %-formatted.
        return text % dict(self.params) if self.params else text


def lazy_text(msgid: str, **params: Any) -> LazyText:
    """Mark a msgid (extracted as ``_l``, see the Makefile) and keep its parameters."""
    return LazyText(msgid, tuple(params.items()))


@functools.cache
def _catalogue(locale: str) -> _gettext.NullTranslations:
    # No catalogue for zh_CN, the source language: NullTranslations gives the msgid back.
    return Translations.load(str(TRANSLATIONS), [locale], "messages")


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT
    wanted = request.args.get("lang")
    if wanted in LOCALES:
        session["lang"] = wanted
        return wanted
    chosen = session.get("lang")
    if chosen in LOCALES:
        return str(chosen)
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return str(current_user.locale)
    return DEFAULT


def lang_url(code: str) -> str:
    """This page in another language: the same path and query with ``lang`` set. The result
    of a form post cannot be fetched again, so its toggle leads to the page the form was on."""
    path = request.path
    rule = request.url_rule
    args = request.args.to_dict(flat=False) if request.method == "GET" else {}
    if request.method != "GET" and (rule is None or "GET" not in (rule.methods or ())):
        referrer = urlsplit(request.referrer or "")
        same_site = referrer.netloc in ("", request.host)
        path = referrer.path if same_site and referrer.path else "/"
    args["lang"] = [code]
    return f"{path}?{urlencode(args, doseq=True)}"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["lang_url"] = lang_url
