"""What every subcommand gets: settings loaded once, a session per command."""

from __future__ import annotations

from contextlib import contextmanager
from functools import cached_property

from console.db import make_engine, make_session_factory, session_scope
from console.settings import Settings, load_settings


class CliContext:
    def __init__(self, config_path: str | None):
        self.config_path = config_path

    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.config_path)

    @cached_property
    def engine(self):
        return make_engine(self.settings.database_url)

    @cached_property
    def checked_engine(self):
        """The engine, once its schema is known to be current (SchemaBehind, exit 2, otherwise)."""
        from console import migrate

        migrate.require_current(self.engine)
        return self.engine

    def close(self) -> None:
        """Give the engine's pooled connections back when the command ends (in-process callers run many)."""
        if "engine" in self.__dict__:
            self.__dict__.pop("engine").dispose()

    def session_factory(self):
        return make_session_factory(self.checked_engine, self.settings)

    @contextmanager
    def session(self):
        """One transaction for the command: committed if it ends normally."""
        with session_scope(make_session_factory(self.checked_engine, self.settings)) as session:
            yield session
