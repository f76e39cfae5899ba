"""Languages: zh-CN by default, English as a toggle (Flask-Babel).

The choice is ``?lang=en`` / ``?lang=zh_CN`` on any page, remembered in the session cookie;
without one, a logged-in user's own locale, then zh_CN. Catalogues live in web/translations.
"""

from __future__ import annotations

from pathlib import Path

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


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations")
    )
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
