"""Alembic migrations on both backends: a round trip works and head matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from models import Base, migrate
from web.db import make_engine


def _tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_round_trip(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert _tables(engine) == set(Base.metadata.tables)

        migrate.downgrade(engine, "base")
        assert migrate.current_revision(engine) is None
        assert _tables(engine) == set()

        migrate.upgrade(engine)
        assert _tables(engine) == set(Base.metadata.tables)
    finally:
        engine.dispose()


def test_head_schema_matches_the_models(empty_database_url: str) -> None:
    """A model change without its migration shows up here as a diff."""
    engine = make_engine(empty_database_url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_named_constraints_exist(engine) -> None:  # type: ignore[no-untyped-def]
    checks = {c["name"] for c in inspect(engine).get_check_constraints("cases")}
    assert {"ck_cases_amount_nonnegative", "ck_cases_mode_instance"} <= checks
    uniques = {u["name"] for u in inspect(engine).get_unique_constraints("cases")}
    assert "uq_cases_case_number" in uniques


def test_foreign_keys_are_indexed(engine) -> None:  # type: ignore[no-untyped-def]
    inspector = inspect(engine)
    missing = []
    for table in Base.metadata.sorted_tables:
        indexed = {tuple(ix["column_names"]) for ix in inspector.get_indexes(table.name)}
        indexed |= {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table.name)}
        pk = tuple(inspector.get_pk_constraint(table.name)["constrained_columns"])
        for fk in inspector.get_foreign_keys(table.name):
            cols = tuple(fk["constrained_columns"])
            covered = any(ix[: len(cols)] == cols for ix in indexed) or pk[: len(cols)] == cols
            if not covered:
                missing.append(f"{table.name}.{','.join(cols)}")
    assert missing == []
