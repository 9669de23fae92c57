"""What `make demo` does, end to end: migrate, sync, bootstrap an admin, serve with gunicorn, log in."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

# gunicorn serving the console, as `make demo` starts it: the full suite's tier, not `make check`'s.
pytestmark = pytest.mark.external

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ops(config, *args, **kwargs):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPS_")}
    return subprocess.run([sys.executable, "-m", "console.cli", "--config", str(config), *args],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120, **kwargs)


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:  # an answer that is not 200 yet: close its response
            error.close()
            time.sleep(0.2)
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds}s")


@pytest.fixture
def served(config_file, tmp_path):
    assert ops(config_file, "db", "upgrade").returncode == 0
    assert ops(config_file, "inventory", "sync").returncode == 0
    boot = ops(config_file, "user", "bootstrap")
    password = re.search(r"password \(shown once\): (\S+)", boot.stdout).group(1)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPS_")}
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "--config", str(config_file), "console", "serve", "--port", str(port)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz")
        yield base, password
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_printed_admin_password_logs_in_under_gunicorn(served):
    base, password = served
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/login") as response:
        login_page = response.read().decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode({"username": "admin", "password": password, "csrf_token": token}).encode()
    with opener.open(f"{base}/login", data=form) as overview:
        html, landed = overview.read().decode(), overview.url
    assert landed == f"{base}/"
    assert 'data-testid="active-hosts">27<' in html
    with opener.open(f"{base}/static/vendor/htmx.min.js") as script:
        assert script.status == 200 and b"htmx" in script.read(200)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_metrics_add_up_across_gunicorn_workers(served, config_file):
    base, _password = served
    created = ops(config_file, "token", "create", "--user", "admin", "--name", "prometheus", "--role", "auditor")
    token = created.stdout.split("token (shown once): ")[1].strip()
    for _ in range(20):
        with urllib.request.urlopen(f"{base}/healthz") as response:
            response.read()
    request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        body = response.read().decode()
    healthz = [float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
               if line.startswith("ops_http_requests_total{") and 'endpoint="api.healthz"' in line]
    assert sum(healthz) >= 21  # the wait_for probe plus 20, whichever worker served them
    assert "ops_hosts{status=\"active\"} 27.0" in body


def _serve(config, log_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPS_")}
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "console.cli", "--config", str(config), "console", "serve", "--port", str(port)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    return server, f"http://127.0.0.1:{port}"


def _wait_for_socket(path: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not path.is_socket():
        time.sleep(0.1)
    assert path.is_socket(), f"no control socket at {path}"


def _control_answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        client.connect(str(path))
    return True


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_two_consoles_on_one_machine_each_keep_their_own_gunicorn_control_socket(config_file, tmp_path):
    """Issue 29 defect 9: gunicorn's default control socket is one per user ($HOME/.gunicorn/gunicorn.ctl)."""
    assert ops(config_file, "db", "upgrade").returncode == 0
    second = tmp_path / "second" / "ops.toml"
    second.parent.mkdir()
    second.write_text(config_file.read_text().replace(str(tmp_path / "var"), str(tmp_path / "second" / "var")))
    servers = []
    try:
        first_server, first_base = _serve(config_file, tmp_path / "first.log")
        servers.append(first_server)
        wait_for(f"{first_base}/healthz")
        first_socket = tmp_path / "var" / "gunicorn.ctl"
        _wait_for_socket(first_socket)
        second_server, second_base = _serve(second, tmp_path / "second.log")
        servers.append(second_server)
        wait_for(f"{second_base}/healthz")
        second_socket = tmp_path / "second" / "var" / "gunicorn.ctl"
        _wait_for_socket(second_socket)
        # the second console's start left the first one's socket in place, and both still answer
        assert first_socket.is_socket() and _control_answers(first_socket)
        assert _control_answers(second_socket)
        # the request-line limit the API document's 414 states (console.common.limits.MAX_REQUEST_LINE_BYTES)
        with pytest.raises(urllib.error.HTTPError) as too_long:
            urllib.request.urlopen(f"{first_base}/api/v1/hosts?q={'a' * 4100}", timeout=10)
        too_long.value.close()  # the error holds the response and its socket
        assert too_long.value.code == 414
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
