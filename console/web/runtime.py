"""The per-app database engine and the per-request session."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from console.db import make_engine, make_session_factory
from console.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]


def init_app(app: Flask, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    app.extensions["ops"] = Runtime(settings, engine, make_session_factory(engine, settings))
    app.teardown_appcontext(_close_session)


def runtime() -> Runtime:
    return current_app.extensions["ops"]


def settings() -> Settings:
    return runtime().settings


def db() -> Session:
    """The request's session; views call `db().commit()` once their unit of work is done."""
    if "db" not in g:
        g.db = runtime().session_factory()
    return g.db


def _close_session(_exc) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.rollback()  # anything not committed explicitly is dropped
        session.close()
