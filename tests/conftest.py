"""Shared fixtures: fresh state for every test, on SQLite and on PostgreSQL.

Database tests take `db_url` (or `session`, `app`, `client`), which run once
on SQLite and once on a real PostgreSQL started for the test session.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles

from console import create_app, migrate
from console.db import make_engine, make_session_factory, session_scope
from console.models import Role
from console.access import tokens, users
from console.access.actor import Actor
from console.settings import load_settings
from console.wiring import register_areas
from tests.fixtures.postgres import PostgresCluster

register_areas()  # the areas' task kinds, as create_app, the CLI and `ops tasks worker` register them


def _made_once(made: dict, key, make):
    """made[key], made by make() the first time (a failure is not kept: it is raised again next time)."""
    found = made.get(key)
    if found is None:
        found = made[key] = make()
    return found


def _reuse_werkzeug_url_builders() -> None:
    """Each URL rule's two builder functions made once per test process instead of once per app.

    568 tests create an app (fixture `app`), and werkzeug compiles each of its 213 rules into two Python
    functions from a generated syntax tree: about 0.1 s of CPU an app, two thirds of create_app. A builder is
    a function of the rule's text, its parsed parts, which defaults it has and whether it appends unknown
    arguments; it reaches the rule itself only through the instance it is bound to (`Rule.compile` binds it),
    so rules that are equal on those share one. Rules with a default for one of their own variables (the
    builder then holds the converted default) are compiled as werkzeug does. Where werkzeug's Rule has
    no _compile_builder any more, nothing is changed.
    """
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "reused", False):
        return
    made: dict = {}

    def reused(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        if any(is_dynamic and data in defaults for is_dynamic, data in self._trace):
            return compile_builder(self, append_unknown)
        return _made_once(made, (self.rule, tuple(self._trace), tuple(defaults), append_unknown),
                          lambda: compile_builder(self, append_unknown))

    reused.reused = True
    Rule._compile_builder = reused


def _reuse_loaded_catalogs() -> None:
    """The compliance catalog parsed once per test process for each content of its files, not once per app.

    create_app loads the catalog (console.web.runtime); its YAML, read with line numbers for the errors, took
    about 0.03 s of CPU an app. A catalog is immutable and a function of its controls folder and the playbooks
    its remediations name: it is reused while no file in either changed (name, size and modification time), so
    a test that writes a controls folder or a playbook of its own still gets it loaded, and refused, afresh.
    """
    from console.compliance import catalog

    load = catalog.load_catalog
    if getattr(load, "reused", False):
        return
    made: dict = {}

    def stamp(folder) -> tuple:
        folder = Path(folder)
        return tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size)
                     for path in sorted(folder.rglob("*")) if path.is_file()) if folder.is_dir() else ()

    def reused(folder=None, playbooks=None):
        return _made_once(made, (str(folder), str(playbooks), stamp(folder or catalog.BUILT_IN),
                                 stamp(playbooks or catalog.BUILT_IN_PLAYBOOKS)), lambda: load(folder, playbooks))

    reused.reused = True
    catalog.load_catalog = reused


_reuse_werkzeug_url_builders()
_reuse_loaded_catalogs()

PASSWORD = "correct horse battery staple"
pytest_plugins = ["tests.fixtures.nut", "tests.fixtures.snmpd", "tests.fixtures.sophos_api", "tests.fixtures.rules",
                  "tests.fixtures.lab", "tests.fixtures.router", "tests.fixtures.snmpsim"]


# Fixtures that start a real server or program: a test that uses one (directly or through another
# fixture) is marked `external`, one that brings up lab hosts `lab` too. `make check` leaves them out.
LAB_FIXTURES = {"make_lab", "lab", "lab_console"}
EXTERNAL_FIXTURES = LAB_FIXTURES | {"postgres", "upsd", "slapd", "snmp_ups", "suricata_eve", "clamd",
                                    "task_worker", "run_now", "rsyslog", "smtp_server", "live_console",
                                    "service_net", "module_service_net",  # tests/fixtures/service_net.py
                                    "router_uplinks", "snmpsim_room"}  # tests/fixtures/router.py, snmpsim.py
# Run first: with pytest-xdist the longest tests start while the short ones fill the other workers,
# so no worker is left with a lab run at the end (longest-first scheduling).
SLOW_FIRST = ("lab", "browser", "schemathesis", "external")


def pytest_collection_modifyitems(config, items):
    """Deselect PostgreSQL variants of browser and `sqlite_only` tests; mark tiers; put slow tests first.

    Browser tests drive pages, not the database: they run on SQLite only.
    Every page's queries run on both databases in the HTTP-level tests (the
    `client` tests are parametrized over SQLite and PostgreSQL), so a browser
    test on PostgreSQL would repeat them at the cost of a browser. The
    PostgreSQL variants are deselected, and pytest's summary counts them. So
    are those of tests marked `sqlite_only`: variants of a flow whose queries
    another test already runs on both.

    Tiers (docs/testing.md): a test is marked `lab` and `external` from the
    fixtures it uses; modules that run a program in the test body mark
    themselves `external`. pytest-xdist runs with `--dist loadfile`: a file's
    tests share one worker, so a module-scoped set-up is made once.
    """
    chosen, dropped = [], []
    for item in items:
        on_postgres = getattr(item, "callspec", None) is not None and item.callspec.params.get("db_url") == "postgresql"
        sqlite_only = item.get_closest_marker("browser") or item.get_closest_marker("sqlite_only")
        (dropped if on_postgres and sqlite_only else chosen).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = chosen
    for item in items:
        _mark_tiers(item)
    items.sort(key=lambda item: next((rank for rank, mark in enumerate(SLOW_FIRST) if item.get_closest_marker(mark)),
                                     len(SLOW_FIRST)))


def _mark_tiers(item) -> None:
    used = set(getattr(item, "fixturenames", ()))
    if used & LAB_FIXTURES:
        item.add_marker(pytest.mark.lab)
    if used & EXTERNAL_FIXTURES or any(item.get_closest_marker(mark) for mark in ("lab", "browser", "postgres", "schemathesis")):
        item.add_marker(pytest.mark.external)


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes():
    """argon2id with argon2-cffi's CHEAPEST parameters ("for testing purposes") in the test processes.

    The product's default (argon2-cffi's RFC 9106 low-memory profile) costs about 0.16 s of CPU a hash and
    as much a check, and most tests create users and log in: a third of the web tests' CPU. An argon2 hash
    carries its own parameters, so a check costs what its hash was made with. `production_hasher` gives a
    test the product's own parameters back; the console and `ops` processes the tests start keep them.
    """
    default = users._hasher
    users._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    users._dummy_hash.cache_clear()
    yield
    users._hasher = default
    users._dummy_hash.cache_clear()


@pytest.fixture
def production_hasher():
    """The product's own argon2id parameters, for a test about them."""
    cheap = users._hasher
    users._hasher = PasswordHasher()
    users._dummy_hash.cache_clear()
    yield users._hasher
    users._hasher = cheap
    users._dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def postgres():
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def browser_net(tmp_path_factory):
    """The browsers' network namespace of this worker (tests/fixtures/browser_net.py)."""
    from tests.fixtures.browser_net import BrowserNet

    net = BrowserNet(tmp_path_factory.mktemp("browser-net"))
    yield net
    net.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ops.db'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite database migrated once per worker, copied for each test that needs a migrated one."""
    path = tmp_path_factory.mktemp("migrated") / "ops.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def engine(db_url, request):
    """The test's database, migrated: a copy of one migrated once (SQLite file, PostgreSQL template), then
    `migrate.upgrade`, which finds it current. Tests of the migrations themselves start from db_url, empty."""
    if db_url.startswith("sqlite:///"):
        target = Path(db_url.removeprefix("sqlite:///"))
        if not target.exists():
            shutil.copyfile(request.getfixturevalue("_migrated_sqlite"), target)
    elif db_url.startswith("postgresql"):
        request.getfixturevalue("postgres").migrated_copy(db_url)
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine, settings):
    """Sessions carry the test's settings, as the CLI's and the console's do (evidence providers read them)."""
    return make_session_factory(engine, settings)


@pytest.fixture
def session(session_factory):
    """A session on a fresh, migrated database (SQLite and PostgreSQL)."""
    db = session_factory()
    try:
        yield db
    finally:
        db.rollback()
        db.close()


@pytest.fixture
def sshd_runtime_dir():
    """/run/sshd, which Debian's sshd (also `sshd -T`) refuses to run without.

    ssh.service creates it (RuntimeDirectory=sshd); on a machine where systemd
    never started sshd, as on a fresh CI machine, the tests create it the same way.
    """
    path = Path("/run/sshd")
    path.mkdir(mode=0o755, exist_ok=True)
    return path


@pytest.fixture
def admin_actor() -> Actor:
    return Actor(username="alice", role=Role.admin, client_addr="198.18.0.10", user_id=None)


@pytest.fixture
def auditor_actor() -> Actor:
    return Actor(username="audrey", role=Role.auditor, client_addr="198.18.0.11", user_id=None)


@pytest.fixture
def config_file(tmp_path, db_url):
    """An ops.toml for a test console: its own var/ and database."""
    path = tmp_path / "ops.toml"
    path.write_text(
        f'[console]\nsecret_key = "test-secret-key-not-for-production"\ndefault_locale = "en"\n'
        f'[database]\nurl = "{db_url}"\n[paths]\nvar_dir = "{tmp_path / "var"}"\n'
        f'[inventory]\npath = "{_repo_inventory()}"\n'
    )
    return path


def _repo_inventory():
    return Path(__file__).resolve().parent.parent / "inventory"


@pytest.fixture
def settings(config_file):
    return load_settings(config_file)


@pytest.fixture
def app(settings, engine):
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["ops"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def synced(session_factory, settings):
    """The shipped 27-host inventory synced into the database."""
    from console.inventory.sync import sync_inventory

    with session_scope(session_factory) as db:
        sync_inventory(db, Actor.cli(), settings.inventory)


class LiveServer:
    """The app under werkzeug's threaded server on a free port; stop() and start() keep the port.

    `host` is loopback unless given (the lab binds its bridge address).
    """

    def __init__(self, app, host: str = "127.0.0.1"):
        self.app, self.host, self.port, self.server = app, host, 0, None

    def start(self) -> "LiveServer":
        import threading

        from werkzeug.serving import make_server

        self.server = make_server(self.host, self.port, self.app, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@pytest.fixture
def live_server(app, synced):
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def make_user(session_factory, settings):
    """Create a user with a role; returns its username (password is PASSWORD)."""

    def make(username: str, role: Role | str) -> str:
        with session_scope(session_factory) as db:
            users.create_user(db, Actor.cli(), settings.security, username, role, password=PASSWORD)
        return username

    return make


@pytest.fixture
def token_for(make_user, session_factory):
    """A bearer token of a new user with the given role."""

    def make(role: str, username: str | None = None) -> dict:
        name = make_user(username or f"api{role.replace('_', '')}", role)
        with session_scope(session_factory) as db:
            _row, token = tokens.create_token(db, Actor(name, Role(role)), "test", None, 30)
        return {"Authorization": f"Bearer {token}"}

    return make


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1)


def login(client, username: str, password: str = PASSWORD):
    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def logged_in(client, make_user):
    """Log the test client in with a new user of the given role."""

    def as_role(role: str, username: str | None = None):
        name = make_user(username or f"{role.replace('_', '')}1", role)
        response = login(client, name)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return as_role
