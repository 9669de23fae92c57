"""The ClamAV provider against a real clamd with a signature database built by sigtool."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from probes.collectors import CollectorFailed
from probes.collectors.antivirus import AntivirusCollector
from probes.collectors.antivirus.clamav import ClamavProvider, parse_version
from probes.report import Antivirus
from tests.fixtures.processes import stop

# The EICAR test file (not a virus; every antivirus detects it by agreement).
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@pytest.fixture
def clamd(tmp_path):
    database = tmp_path / "db"
    database.mkdir()
    eicar = tmp_path / "eicar.com"
    eicar.write_bytes(EICAR)
    signature = subprocess.run(["sigtool", "--md5", str(eicar)], capture_output=True, text=True, check=True).stdout
    (database / "ops-test.hdb").write_text(signature)
    sock = tmp_path / "clamd.sock"
    config = tmp_path / "clamd.conf"
    config.write_text(f"LocalSocket {sock}\nDatabaseDirectory {database}\nForeground yes\nUser root\n"
                      f"LogFile {tmp_path / 'clamd.log'}\nPidFile {tmp_path / 'clamd.pid'}\n")
    log = open(tmp_path / "clamd.out", "wb")
    process = subprocess.Popen(["clamd", "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
    provider = ClamavProvider(socket_path=sock, freshclam_log=tmp_path / "freshclam.log", proc=tmp_path / "proc")
    try:
        _wait_for_pong(provider, process, tmp_path)
        yield provider, eicar, process
    finally:
        stop(process)
        log.close()


def _wait_for_pong(provider, process, folder: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError((folder / "clamd.out").read_text()[-2000:])
        try:
            if provider.command("PING") == "PONG":
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("clamd did not answer PING within 60 s")


def test_running_clamd_is_reported_with_its_engine_version(clamd):
    provider, _eicar, _process = clamd
    status = AntivirusCollector([provider]).collect()[0]
    Antivirus.model_validate(status)
    engine = subprocess.run(["clamd", "--version"], capture_output=True, text=True).stdout.split()[1].split("/")[0]
    assert (status["installed"], status["running"], status["engine_version"]) == (True, True, engine)
    assert status["realtime_protection"] is False  # no clamonacc in this test


def test_clamd_finds_eicar_with_the_sigtool_database(clamd):
    provider, eicar, _process = clamd
    assert provider.scan(eicar).endswith("FOUND")
    clean = eicar.with_name("clean.txt")
    clean.write_text("nothing to see")
    assert provider.scan(clean).endswith("OK")


def test_stopped_clamd_is_reported_down(clamd):
    provider, _eicar, process = clamd
    stop(process)
    status = AntivirusCollector([provider]).collect()[0]
    assert status["installed"] is True and status["running"] is False and "error" not in status


def test_freshclam_log_gives_the_last_update(tmp_path):
    log = tmp_path / "freshclam.log"
    log.write_text("Wed Nov 20 09:30:01 2024 -> daily.cvd database is up-to-date (version: 27450, sigs: 2070000)\n"
                   "Thu Nov 21 09:30:01 2024 -> Can't download daily.cvd\n")
    status = ClamavProvider(socket_path=tmp_path / "none.sock", freshclam_log=log, proc=tmp_path).status()
    assert status["freshclam_last_update"].startswith("2024-11-20T09:30:01")


def test_version_with_daily_database_is_parsed():
    found = parse_version("ClamAV 1.0.7/27450/Wed Nov 20 09:30:00 2024")
    assert (found["engine_version"], found["signature_version"]) == ("1.0.7", "27450")
    assert found["signature_date"].startswith("2024-11-20T09:30:00")
    with pytest.raises(CollectorFailed, match="unexpected answer"):
        parse_version("HELLO")


def test_garbage_from_the_socket_is_an_error_entry(tmp_path):
    path = tmp_path / "fake.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(2)

    def answer():
        for reply in (b"PONG\0", b"garbage\0"):
            conn, _ = server.accept()
            with conn:
                conn.recv(100)
                conn.sendall(reply)

    thread = threading.Thread(target=answer)
    thread.start()
    try:
        status = AntivirusCollector([ClamavProvider(socket_path=path, proc=tmp_path)]).collect()[0]
    finally:
        thread.join()
        server.close()
    assert "unexpected answer" in status["error"] and status["provider"] == "clamav"
