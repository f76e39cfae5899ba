"""Languages: zh-CN by default, English as a toggle (Flask-Babel).

The choice is ``?lang=en`` / ``?lang=zh_CN`` on any page, remembered in the session cookie;
without one, a logged-in user's own locale, then zh_CN. Catalogues live in web/translations.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import Flask, request, session
from flask_babel import Babel, get_locale
from flask_login import current_user

LOCALES = ("zh_CN", "en")
DEFAULT = "zh_CN"


def select_locale() -> str:
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
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations")
    )
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["lang_url"] = lang_url
