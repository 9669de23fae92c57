"""Alembic migrations: they build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from console import migrate
from console.models import Base


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_twice_changes_nothing(engine):
    head = migrate.head_revision(engine)
    assert migrate.current_revision(engine) == head
    assert migrate.upgrade(engine) == (head, head)
