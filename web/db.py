"""Engine and session handling: one session per request, operations never commit halfway."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs: Any) -> Engine:
    """The engine for ``url``. PostgreSQL sessions run in UTC (set when connecting, no round
    trip): psycopg then hands timestamptz values back in ``datetime.UTC`` itself, which
    ``UTCDateTime`` passes through untouched, instead of in the server's zone to be converted
    (some 1.5 us a value; a 500-event feed reads some 3,300). No statement depends on the
    session's zone: every moment is stored and compared as an instant."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    elif url.startswith("postgresql"):
        connect_args = dict(kwargs.get("connect_args") or {})
        # After any options passed in (the last setting wins), which are otherwise kept.
        connect_args["options"] = f"{connect_args.get('options', '')} -c timezone=UTC".strip()
        kwargs["connect_args"] = connect_args
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def init_app(app: Flask) -> None:
    engine = app.config.get("SUTIAO_ENGINE") or make_engine(app.config["SUTIAO_DATABASE_URL"])
    app.extensions["sutiao.engine"] = engine
    app.extensions["sutiao.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["sutiao.autocommit_engine"] = engine.execution_options(
        isolation_level="AUTOCOMMIT"
    )
    app.teardown_appcontext(_close_session)


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["sutiao.engine"]  # type: ignore[no-any-return]


def get_session() -> Session:
    """The request's (or CLI command's) session, created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["sutiao.sessionmaker"]()
    return g.db_session  # type: ignore[no-any-return]


def use_autocommit_connection() -> Connection:
    """Give the request a pooled connection in autocommit mode, and no ORM session: no BEGIN and
    COMMIT round trips, and none of the session's bookkeeping.

    Only for requests whose every write is one statement, which is atomic on its own, and whose
    reads need no common snapshot beyond what READ COMMITTED gives each statement anyway: the
    court lookup, whose one write is the multi-row insert of its read audit (python -m
    benchmarks.web measures the saving). Must come before anything else opens the session.
    """
    if "db_session" in g or "db_connection" in g:
        raise RuntimeError("the request's database access is already open; choose autocommit first")
    g.db_connection = current_app.extensions["sutiao.autocommit_engine"].connect()
    return g.db_connection  # type: ignore[no-any-return]


def request_connection() -> Connection:
    """The request's Core connection: its autocommit connection when it chose one, else its
    session's (which opens the session's transaction)."""
    connection = g.get("db_connection")
    return connection if connection is not None else get_session().connection()


def core(db: Session | Connection) -> Connection:
    """The Core connection of a session (in its transaction), or the connection itself."""
    return db if isinstance(db, Connection) else db.connection()


@contextmanager
def autocommit_connection() -> Iterator[Connection]:
    """A pooled connection in autocommit mode for reads that need no common snapshot beyond what
    READ COMMITTED gives each statement anyway: no BEGIN and ROLLBACK round trips, and psycopg
    keeps its prepared statements (it drops them at every ROLLBACK). The feed's token check,
    which is all a 304 costs, and the feed's render (web.feeds.render)."""
    with current_app.extensions["sutiao.autocommit_engine"].connect() as connection:
        yield connection


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
    connection = g.pop("db_connection", None)
    if connection is not None:
        connection.close()


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """Commit on success, roll back everything on any error."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
