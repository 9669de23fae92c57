"""The ClamAV provider against a real clamd with a signature database built by sigtool."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from probes.collectors.antivirus import AntivirusCollector
from probes.collectors.antivirus.clamav import ClamavProvider, freshclam_last_update, parse_version
from probes.report import Antivirus
from tests.fixtures.processes import stop

# The EICAR test file (not a virus; every antivirus detects it by agreement).
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@pytest.fixture
def eicar_db(tmp_path) -> tuple[Path, Path]:
    """An EICAR file and a database folder whose only signature is its MD5, written by sigtool."""
    database = tmp_path / "db"
    database.mkdir()
    eicar = tmp_path / "eicar.com"
    eicar.write_bytes(EICAR)
    signature = subprocess.run(["sigtool", "--md5", str(eicar)], capture_output=True, text=True, check=True).stdout
    (database / "ops-test.hdb").write_text(signature)
    return eicar, database


@pytest.fixture
def clamd(tmp_path, eicar_db):
    eicar, database = eicar_db
    sock = tmp_path / "clamd.sock"
    config = tmp_path / "clamd.conf"
    config.write_text(f"LocalSocket {sock}\nDatabaseDirectory {database}\nForeground yes\nUser root\n"
                      f"LogFile {tmp_path / 'clamd.log'}\nPidFile {tmp_path / 'clamd.pid'}\n")
    provider = ClamavProvider(socket_path=sock, freshclam_log=tmp_path / "freshclam.log", proc=tmp_path / "proc")
    with open(tmp_path / "clamd.out", "wb") as log:
        process = subprocess.Popen(["clamd", "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_pong(provider, process, tmp_path)
            yield provider, eicar, process
        finally:
            stop(process)


def _wait_for_pong(provider: ClamavProvider, process: subprocess.Popen, folder: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError((folder / "clamd.out").read_text()[-2000:])
        if provider.ping():
            return
        time.sleep(0.1)
    raise AssertionError("clamd did not answer PING within 30 s")


def test_running_clamd_is_reported_with_its_engine_version(clamd):
    provider, _eicar, _process = clamd
    status = AntivirusCollector([provider]).collect()[0]
    Antivirus.model_validate(status)
    engine = subprocess.run(["clamd", "--version"], capture_output=True, text=True).stdout.split()[1].split("/")[0]
    assert (status["installed"], status["running"], status["engine_version"]) == (True, True, engine)
    # A database without daily.cvd: clamd answers VERSION with the engine alone.
    assert (status["signature_version"], status["signature_date"]) == (None, None)
    assert status["realtime_protection"] is False  # no clamonacc in the fake /proc


def test_clamd_finds_eicar_with_the_sigtool_database(clamd):
    provider, eicar, _process = clamd
    assert provider.scan(eicar).endswith("FOUND")
    clean = eicar.with_name("clean.txt")
    clean.write_text("nothing to see")
    assert provider.scan(clean) == f"{clean}: OK"


def test_stopped_clamd_is_reported_down_not_as_an_error(clamd):
    provider, _eicar, process = clamd
    stop(process)
    status = AntivirusCollector([provider]).collect()[0]
    assert (status["installed"], status["running"]) == (True, False) and "error" not in status
    Antivirus.model_validate(status)


def test_clamscan_log_gives_the_last_scan(tmp_path, eicar_db):
    eicar, database = eicar_db
    log = tmp_path / "scan.log"
    scanned = subprocess.run(["clamscan", "-d", str(database), "--log", str(log), str(eicar)],
                             capture_output=True, text=True)
    assert scanned.returncode == 1, scanned.stderr  # 1: a virus was found
    end = next(line for line in log.read_text().splitlines() if line.startswith("End Date:"))
    status = ClamavProvider(socket_path=tmp_path / "none.sock", scan_log=log, proc=tmp_path).status()
    assert status["last_scan_at"].startswith(end.split(None, 2)[2].replace(":", "-", 2).replace(" ", "T"))
    assert status["last_scan_infected"] == 1 and status["running"] is False


def test_clamonacc_in_proc_means_real_time_protection(tmp_path):
    (tmp_path / "proc" / "4242").mkdir(parents=True)
    (tmp_path / "proc" / "4242" / "comm").write_text("clamonacc\n")
    status = ClamavProvider(socket_path=tmp_path / "none.sock", proc=tmp_path / "proc").status()
    assert status["realtime_protection"] is True


@pytest.mark.parametrize("log_time", ["", "Wed Nov 20 09:30:01 2024 -> "])
def test_freshclam_log_gives_the_last_successful_update(log_time):
    lines = ["ClamAV update process started at Wed Nov 20 09:30:01 2024",
             f"{log_time}daily.cld database is up-to-date (version: 27450, sigs: 2070000, f-level: 90, builder: raynman)",
             "ClamAV update process started at Thu Nov 21 09:30:01 2024",
             "ERROR: Can't download daily.cvd from https://database.clamav.net/daily.cvd"]
    assert freshclam_last_update(lines).isoformat().startswith("2024-11-20T09:30:01")
    assert freshclam_last_update(["garbage", "daily.cld updated (version: 1)"]) is None


def test_version_with_daily_database_is_parsed_as_local_time():
    found = parse_version("ClamAV 1.0.7/27450/Wed Nov  6 09:30:00 2024")
    assert (found["engine_version"], found["signature_version"]) == ("1.0.7", "27450")
    assert found["signature_date"].startswith("2024-11-06T09:30:00")
    assert parse_version("ClamAV 1.0.7") == {"engine_version": "1.0.7", "signature_version": None,
                                             "signature_date": None}


def _fake_clamd(path: Path, replies: list[bytes]) -> threading.Thread:
    """A unix socket server answering each connection with the next reply, then going away."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(len(replies))
    server.settimeout(5)

    def answer():
        with server:
            for reply in replies:
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    return
                with conn:
                    conn.recv(100)
                    conn.sendall(reply)

    thread = threading.Thread(target=answer)
    thread.start()
    return thread


@pytest.mark.parametrize("replies, message", [
    ([b"PONG\0", b"garbage\0"], "clamd VERSION: unexpected answer 'garbage'"),
    ([b"HELLO\0"], "clamd PING: unexpected answer 'HELLO'"),
    ([b"PONG\0", b"ClamAV 1.0.7/27450/yesterday\0"], "clamd VERSION database date: unreadable 'yesterday'"),
])
def test_garbage_from_the_socket_is_an_error_entry(tmp_path, replies, message):
    thread = _fake_clamd(tmp_path / "fake.sock", replies)
    try:
        status = AntivirusCollector([ClamavProvider(socket_path=tmp_path / "fake.sock", proc=tmp_path)]).collect()[0]
    finally:
        thread.join()
    assert status["error"] == f"CollectorFailed: {message}"
    assert status["provider"] == "clamav" and status["installed"] is True
    Antivirus.model_validate(status)
