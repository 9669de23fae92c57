"""The public status page (/status): off by default (404), anonymous and read-only when on, only the services
marked public, under their public names, nothing internal (no service name, label, system, check, URL, address
or port); every other route still wants a sign-in; each address is rate-limited (429). The checks are real: a
round against an HTTP server of the test's own on loopback and a port nobody listens on."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from console.availability import runner
from console.errors import ConfigError
from console.settings import load_settings
from console.web.auth import PUBLIC


class Portal(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = "Dịch vụ công".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def portal():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def closed_port():
    with socket.socket() as sock:  # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def services(portal: int, closed: int) -> str:
    return f"""
[[availability.services]]
name = "svc-portal-internal"
label = "Cổng nội bộ ABC"
system = "system_land_procedures"
public = true
public_name = "Dịch vụ công trực tuyến"

[[availability.services.checks]]
name = "home-check-xyz"
kind = "http"
url = "http://127.0.0.1:{portal}/secret-path-xyz"
expect_text = "Dịch vụ công"

[[availability.services]]
name = "svc-landdb-hidden"
label = "Land database (hidden)"

[[availability.services.checks]]
name = "db-port"
kind = "tcp"
host = "127.0.0.1"
port = {closed}
failures_before_down = 1

[[availability.services]]
name = "svc-gis-internal"
public = true
public_name = "Bản đồ số"
depends_on = ["svc-landdb-hidden"]

[[availability.services.checks]]
name = "gis-port"
kind = "tcp"
host = "127.0.0.1"
port = {closed}
failures_before_down = 1
"""


INTERNAL = ["svc-portal-internal", "svc-landdb-hidden", "svc-gis-internal", "Cổng nội bộ ABC", "Land database",
            "system_land_procedures", "home-check-xyz", "db-port", "gis-port", "secret-path-xyz", "127.0.0.1",
            "http://", "unreachable"]


@pytest.fixture
def config_file(config_file, portal, closed_port):
    text = config_file.read_text()
    config_file.write_text(text.replace("[paths]", "[availability]\nstatus_page = true\n"
                                        "status_page_requests_per_minute = 5\n[paths]", 1)
                           + services(portal, closed_port))
    return config_file


def test_the_page_shows_only_public_services_by_public_name_and_nothing_internal(client, session_factory, settings,
                                                                               portal, closed_port):
    assert runner.run_due(session_factory, settings) == 3
    page = client.get("/status?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<td>Dịch vụ công trực tuyến</td><td><span class=\"health health-ok\">Operating normally</span>" in html
    assert "<td>Bản đồ số</td><td><span class=\"health health-stale\">Not available</span>" in html
    for word in INTERNAL + [f":{portal}", f":{closed_port}"]:
        assert word not in html, word
    assert 'href="/' not in html.replace('href="/static/', "")  # no link into the console
    vietnamese = client.get("/status?lang=vi").get_data(as_text=True)
    assert "Hoạt động bình thường" in vietnamese and "Không truy cập được" in vietnamese
    posted = client.post("/status")  # read-only: a POST is no route, and the guard sends strangers to sign in
    assert posted.status_code == 302 and posted.headers["Location"].startswith("/login")


@pytest.mark.sqlite_only  # no query of its own: once is enough
def test_anonymous_access_reaches_nothing_else(app, client):
    assert client.get("/status").status_code == 200
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<{argument}>", "1")
            for converter in ("int", "string", "path", "uuid", "any"):
                url = __import__("re").sub(rf"<{converter}(\([^)]*\))?:{argument}>", "1", url)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        answer = client.open(url, method=method)
        checked += 1
        if url.startswith("/api/"):
            # 401 without a token; the agents' routes refuse a request without their body first (400, 415)
            assert 400 <= answer.status_code < 500 and answer.status_code != 404, (url, answer.status_code)
        else:
            assert answer.status_code in (302, 400), (url, method, answer.status_code)  # 400: CSRF before login
            if answer.status_code == 302:
                assert answer.headers["Location"].startswith("/login"), (url, answer.headers["Location"])
    assert checked > 50


@pytest.mark.sqlite_only  # no query of its own: once is enough
def test_each_address_is_rate_limited(client):
    answers = [client.get("/status").status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    limited = client.get("/status")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert client.get("/status", environ_base={"REMOTE_ADDR": "127.0.0.2"}).status_code == 200


@pytest.mark.sqlite_only  # no query of its own: once is enough
def test_off_by_default_it_is_not_there(tmp_path, config_file):
    text = config_file.read_text().replace("status_page = true\n", "")
    config_file.write_text(text)
    from console import create_app

    app = create_app(load_settings(config_file))
    app.config["TESTING"] = True
    try:
        answer = app.test_client().get("/status")
        assert answer.status_code == 404  # not a sign-in redirect: there is no such page
    finally:
        app.extensions["ops"].engine.dispose()


@pytest.mark.sqlite_only  # no query of its own: once is enough
def test_a_public_service_without_a_public_name_is_refused_at_its_line(config_file):
    config_file.write_text(config_file.read_text().replace('public_name = "Bản đồ số"\n', ""))
    with pytest.raises(ConfigError, match=r"availability\.services\[2\].*needs public_name"):
        load_settings(config_file)
