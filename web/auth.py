"""Logins and roles: session login for the pages (Flask-Login), CSRF on every form (Flask-WTF),
and one table that says which role may use which endpoint.

Every endpoint of the app is in :data:`ACCESS` (a test walks the URL map and fails on any that
is missing), so access is decided in one place rather than by decorators scattered over views:

- ``PUBLIC``: anyone, logged in or not (the login page, static files, health, the feed URL
  whose token is its own secret);
- a set of roles: a logged-in user with one of them; anyone else who is logged in gets 403,
  and someone not logged in is sent to the login page (pages) or gets 401 (API);
- ``"key"`` in the set: a court API key may use the endpoint too (the court API).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from models import User
from models.vocabulary import UserRole

from . import audit
from .db import get_session, transaction

bp = Blueprint("auth", __name__)

COORDINATOR = UserRole.COORDINATOR.value
LEADER = UserRole.LEADER.value
MEDIATOR = UserRole.MEDIATOR.value
COURT = UserRole.COURT.value
ADMIN = UserRole.ADMIN.value
KEY = "key"  # a court API key
PUBLIC = frozenset({"public"})
STAFF = frozenset({COORDINATOR, LEADER, ADMIN})

# endpoint -> who may use it. Endpoints of blueprints added later register here too
# (:func:`allow`), next to their views.
ACCESS: dict[str, frozenset[str]] = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "pages.healthz": PUBLIC,
    "feeds.calendar": PUBLIC,  # the token in the URL is the secret
    "pages.index": frozenset({COORDINATOR, LEADER, MEDIATOR, COURT, ADMIN}),
}


def allow(endpoint: str, *who: str) -> None:
    """Record who may use ``endpoint`` (each a role, ``"key"`` or ``"public"``)."""
    ACCESS[endpoint] = frozenset(who)


# What each role's home is, after login.
HOME = {
    COORDINATOR: "coordinator.today",
    LEADER: "leader.dashboard",
    MEDIATOR: "me.index",
    COURT: "court.index",
    ADMIN: "pages.index",
}


@dataclass(frozen=True)
class Account(UserMixin):  # type: ignore[misc]
    """The logged-in user as the pages see it (detached from any database session)."""

    id: int
    username: str
    display_name: str
    role: str
    court_id: int | None
    person_id: int | None
    locale: str

    def get_id(self) -> str:
        return str(self.id)

    @classmethod
    def of(cls, user: User) -> Account:
        return cls(
            user.id,
            user.username,
            user.display_name,
            user.role,
            user.court_id,
            user.person_id,
            user.locale,
        )


login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.session_protection = "strong"
csrf = CSRFProtect()


@login_manager.user_loader  # type: ignore[untyped-decorator]
def _load_account(user_id: str) -> Account | None:
    if not user_id.isdigit():
        return None
    user = get_session().get(User, int(user_id))
    if user is None or not user.is_active:
        return None
    return Account.of(user)


def authenticate_user(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (no hint which part was wrong)."""
    user = (
        get_session()
        .scalars(select(User).where(func.lower(User.username) == username.strip().lower()))
        .first()
    )
    if user is None or not user.is_active or not check_password_hash(user.password_hash, password):
        return None
    return user


def role() -> str | None:
    """The logged-in user's role, or None."""
    if not current_user.is_authenticated:
        return None
    return str(current_user.role)


def allowed(endpoint: str | None, who: str | None) -> bool:
    rule = ACCESS.get(endpoint or "")
    if rule is None:
        return False  # an endpoint nobody listed is closed
    return rule is PUBLIC or "public" in rule or (who is not None and who in rule)


def _guard_pages() -> ResponseReturnValue | None:
    """Pages: 302 to the login page when logged out, 403 for a role the table leaves out."""
    endpoint = request.endpoint
    if endpoint is None or endpoint.startswith("api."):
        return None  # unknown URLs 404 as usual; the API guards itself
    if allowed(endpoint, None):
        return None
    if not current_user.is_authenticated:
        response: ResponseReturnValue = login_manager.unauthorized()
        return response
    if not allowed(endpoint, role()):
        abort(403)
    return None


def _forbidden(error: Forbidden) -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        return error  # the API answers in JSON (api.py)
    return render_template("errors/403.html"), 403


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=256)])


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host) may be the place to go after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate_user(form.username.data or "", form.password.data or "")
        session = get_session()
        if user is None:
            with transaction(session):
                audit.record(
                    session,
                    "auth.login_failed",
                    actor="anonymous",
                    username=(form.username.data or "")[:64],
                    address=request.remote_addr,
                )
            flash("用户名或密码错误。", "error")
            return render_template("auth/login.html", form=form), 401
        account = Account.of(user)
        login_user(account)
        with transaction(session):
            audit.record(session, "auth.login", actor=user.username, user_id=user.id)
        target = _safe_next(request.args.get("next"))
        return redirect(target or url_for(HOME.get(account.role, "pages.index")))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    logout_user()
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    # Access first, then CSRF: a logged-out form post goes to the login page and a wrong
    # role gets 403, rather than both failing on a token they could not have.
    app.before_request(_guard_pages)
    csrf.init_app(app)
    app.register_blueprint(bp)
    app.register_error_handler(403, _forbidden)

    @app.context_processor
    def _inject() -> dict[str, Any]:
        return {"current_role": role(), "can": lambda endpoint: allowed(endpoint, role())}


def check_app_table(app: Flask) -> list[str]:
    """Endpoints of ``app`` missing from the access table (a test keeps this empty)."""
    return sorted(rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint not in ACCESS)


__all__ = [
    "ACCESS",
    "ADMIN",
    "COORDINATOR",
    "COURT",
    "KEY",
    "LEADER",
    "MEDIATOR",
    "PUBLIC",
    "Account",
    "allow",
    "allowed",
    "check_app_table",
    "init_app",
]
