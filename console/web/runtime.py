"""The per-app database engine and the per-request session."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from console.compliance.catalog import Catalog, configured_catalog
from console.db import make_engine, make_session_factory
from console.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    catalog: Catalog


def init_app(app: Flask, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    # the controls catalog is read once at start, so a broken controls file stops the console with file and line
    app.extensions["ops"] = Runtime(settings, engine, make_session_factory(engine, settings),
                                    configured_catalog(settings))
    app.teardown_appcontext(_close_session)


def runtime() -> Runtime:
    return current_app.extensions["ops"]


def settings() -> Settings:
    return runtime().settings


def catalog() -> Catalog:
    """The compliance controls catalog this console runs with."""
    return runtime().catalog


def db() -> Session:
    """The request's session, committed or rolled back as one unit by console.web.unit_of_work."""
    if "db" not in g:
        g.db = runtime().session_factory()
    return g.db


def _close_session(_exc) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.rollback()  # anything the unit of work did not commit is dropped
        session.close()
