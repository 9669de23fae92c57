"""The department's services in a lab, for the demo's Availability page: real servers on the lab's bridge.

    services = up(var_dir, "demo")          # starts what is not running; the namespace and certificates once
    stop(var_dir, "demo", ["web"])          # a service fails: its server is stopped
    down(var_dir, "demo")                   # every server stopped, the namespace removed
    availability_toml(load(var_dir, "demo"))  # the [[availability.services]] tables that check them

The servers live in a namespace of their own on the lab's bridge,
`ops-lab-<lab>-services` at 198.19.<lab>.200 (the lab's hosts are .11 to .110,
and provisioning loads each host's firewall, which this namespace does not
have), so `ops lab down` also stops them and removes it:

- `web`: the department's portal, plain HTTP on port 80 (Python's http.server);
- `dns`: Debian's dnsmasq on port 53, serving the zone stnmt.lab (www, motcua, db);
- `motcua`: the one-stop-shop system, HTTPS on port 443 with a certificate of the
  lab's own CA (made here with `cryptography`) that expires CERT_DAYS days and a half
  after `up` made it (the page shows 5 days left for the demo's first 12 hours). Its page resolves db.stnmt.lab through the `dns` service at every request
  and answers 503 when it cannot: it really depends on dns, as its table says.

Each server runs detached (its own session, output in services/<name>.log under
the lab's folder); services/state.json records the pids. A stopped service is
started again by the next `up`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from console.lab import network
from console.lab.commands import run
from console.lab.errors import LabError
from console.lab.state import LabState, lab_dir, link_prefix, load as load_lab, namespace_prefix

DNSMASQ = "/usr/sbin/dnsmasq"
ADDRESS_OCTET = 200  # hosts are .11-.110; live_traffic uses .240 (a laptop) and .250 (no one holds it)
ZONE = "stnmt.lab"
WEB_NAME = f"www.{ZONE}"
PORTAL_NAME = f"motcua.{ZONE}"
DATABASE_NAME = f"db.{ZONE}"
CERT_DAYS = 5
SERVICES = ("web", "dns", "motcua")
PORTS = {"web": 80, "dns": 53, "motcua": 443}
START_SECONDS = 15
STOP_SECONDS = 5
CHECK_INTERVAL_SECONDS = 15
FAILURES_BEFORE_DOWN = 3


@dataclass
class Services:
    lab: str
    directory: str
    namespace: str
    address: str
    veth: str
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def state_file(self) -> Path:
        return Path(self.directory) / "state.json"

    @property
    def ca_file(self) -> Path:
        return Path(self.directory) / "ca.crt"

    def save(self) -> None:
        temp = self.state_file.with_suffix(".tmp")
        temp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(temp, self.state_file)


def folder(var_dir: Path, lab: str) -> Path:
    return lab_dir(var_dir, lab) / "services"


def load(var_dir: Path, lab: str) -> Services | None:
    path = folder(var_dir, lab) / "state.json"
    try:
        return Services(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        raise LabError(f"{path}: unreadable ({exc}); `ops lab services down --name {lab}` removes the services "
                       "by name") from None


def _lab(var_dir: Path, lab: str) -> LabState:
    state = load_lab(var_dir, lab)
    if state is None or state.status != "up":
        raise LabError(f"lab {lab!r} is not up: `ops lab up N --name {lab}` first")
    return state


def up(var_dir: Path, lab: str, names: list[str] | None = None, today: datetime | None = None) -> Services:
    """Start the services in `names` (default all) that are not running; make the namespace and certificates once."""
    names = _checked(names)
    if os.geteuid() != 0:
        raise LabError("the lab's services run in a network namespace: run it as root")
    state = _lab(var_dir, lab)
    services = load(var_dir, lab)
    fresh = services is None
    try:
        if services is None:
            services = _make(state, folder(var_dir, lab), today)
        for name in names:
            if _running(services, name):
                continue
            services.pids[name] = _start(services, name)
            services.save()
            _wait_listening(services, name)
    except BaseException:
        if fresh:  # nothing half-made: what this call made goes again
            down(var_dir, lab)
        raise
    return services


def _checked(names: list[str] | None) -> list[str]:
    unknown = [name for name in names or [] if name not in SERVICES]
    if unknown:
        raise LabError(f"no lab service {', '.join(map(repr, unknown))}: the services are {', '.join(SERVICES)}")
    return list(names or SERVICES)


def _make(state: LabState, directory: Path, today: datetime | None) -> Services:
    directory.mkdir(parents=True, exist_ok=True)
    address = str(ipaddress.ip_address(state.gateway) + ADDRESS_OCTET - 1)
    services = Services(lab=state.name, directory=str(directory), namespace=f"{namespace_prefix(state.name)}services",
                        address=address, veth=f"{link_prefix(state.name)}s001")
    services.save()  # recorded before anything is made, so down() finds it after a crash
    make_certificates(directory, address, today or datetime.now(timezone.utc))
    (directory / "www").mkdir(exist_ok=True)
    (directory / "www" / "index.html").write_text(
        "<!doctype html><meta charset=utf-8><title>Cổng thông tin điện tử</title>"
        "<h1>Cổng thông tin điện tử Sở Tài nguyên và Môi trường (lab)</h1>\n", encoding="utf-8")
    peer = f"{link_prefix(state.name)}q001"
    run("ip", "netns", "add", services.namespace)
    run("ip", "link", "add", services.veth, "type", "veth", "peer", "name", peer)
    run("ip", "link", "set", peer, "netns", services.namespace)
    run("ip", "link", "set", services.veth, "master", state.bridge, "up")
    run("ip", "-n", services.namespace, "link", "set", peer, "name", "eth0")
    run("ip", "-n", services.namespace, "addr", "add", f"{address}/{state.prefix_length}", "dev", "eth0")
    run("ip", "-n", services.namespace, "link", "set", "eth0", "up")
    run("ip", "-n", services.namespace, "link", "set", "lo", "up")
    return services


def make_certificates(directory: Path, address: str, now: datetime) -> None:
    """ca.crt (the lab's CA, 10 years) and motcua.crt/.key: a leaf for PORTAL_NAME and `address`, CERT_DAYS½ days."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ops Console lab"),
                          x509.NameAttribute(NameOID.COMMON_NAME, common)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("Ops Console lab CA")
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(name(PORTAL_NAME)).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=CERT_DAYS, hours=12))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(PORTAL_NAME),
                                                        x509.IPAddress(ipaddress.ip_address(address))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write(directory / "motcua.key", key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()), private=True)
    _write(directory / "motcua.crt", leaf.public_bytes(serialization.Encoding.PEM))
    _write(directory / "ca.crt", ca.public_bytes(serialization.Encoding.PEM))


def _write(path: Path, data: bytes, private: bool = False) -> None:
    temp = path.with_suffix(path.suffix + ".tmp")
    temp.write_bytes(data)
    if private:
        os.chmod(temp, 0o600)
    os.replace(temp, path)


def _command(services: Services, name: str) -> list[str]:
    directory = Path(services.directory)
    if name == "dns":
        records = [f"--host-record={host},{services.address}" for host in (WEB_NAME, PORTAL_NAME, DATABASE_NAME)]
        return [DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                "--bind-interfaces", f"--listen-address={services.address}", "--port=53", "--pid-file=",
                "--user=root", "--log-facility=-", f"--local=/{ZONE}/", *records]
    spec = {"address": services.address, "port": PORTS[name], "root": str(directory / "www")}
    if name == "motcua":
        spec.update(cert=str(directory / "motcua.crt"), key=str(directory / "motcua.key"),
                    resolve=DATABASE_NAME, dns_server=services.address)
    return [sys.executable, "-m", "console.lab.service_server", json.dumps(spec)]


def _start(services: Services, name: str) -> int:
    command = _command(services, name)
    log = open(Path(services.directory) / f"{name}.log", "ab")
    try:
        # `ip netns exec` runs the server in place of itself: the pid is the server's.
        process = subprocess.Popen(["ip", "netns", "exec", services.namespace, *command], stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=log, start_new_session=True)
    except FileNotFoundError:
        raise LabError("ip: not installed (iproute2, scripts/install-debian-packages.sh base)") from None
    finally:
        log.close()
    return process.pid


def _wait_listening(services: Services, name: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if not _alive(services.pids.get(name)):
            break
        try:  # every server also takes TCP on its port (dnsmasq answers DNS over TCP)
            socket.create_connection((services.address, PORTS[name]), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    log = Path(services.directory) / f"{name}.log"
    tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
    raise LabError(f"lab service {name} did not start listening on {services.address}:{PORTS[name]} within "
                   f"{START_SECONDS} s" + (f": {' / '.join(tail)}" if tail else f" (see {log})"))


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    _reap(pid)
    try:
        return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") < 0
    except OSError:
        return False


def _reap(pid: int) -> None:
    try:  # a server this process started (a test): collect its exit status
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _running(services: Services, name: str) -> bool:
    pid = services.pids.get(name)
    return _alive(pid) and pid in network.namespace_pids(services.namespace)


def stop(var_dir: Path, lab: str, names: list[str] | None = None) -> list[str]:
    """Stop the servers of `names` (default all); returns the names stopped."""
    names = _checked(names)
    services = load(var_dir, lab)
    if services is None:
        return []
    stopped = []
    for name in names:
        pid = services.pids.pop(name, None)
        if pid and _alive(pid) and pid in network.namespace_pids(services.namespace):
            _terminate(pid)
            stopped.append(name)
        services.save()
    return stopped


def _terminate(pid: int) -> None:
    for signum in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_SECONDS
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.05)


def down(var_dir: Path, lab: str) -> list[str]:
    """Every server stopped, the namespace and its link removed, the folder too; returns what went."""
    removed = [f"service {name}" for name in stop(var_dir, lab)]
    namespace = f"{namespace_prefix(lab)}services"
    if namespace in network.namespaces(namespace):
        network.kill_namespace_processes(namespace)
        run("ip", "netns", "delete", namespace, check=False)
        removed.append(namespace)
    veth = f"{link_prefix(lab)}s001"
    if veth in network.links(veth):
        run("ip", "link", "delete", veth, check=False)
        removed.append(veth)
    directory = folder(var_dir, lab)
    if directory.exists():
        shutil.rmtree(directory)
        removed.append(str(directory))
    return removed


def status(var_dir: Path, lab: str) -> dict[str, bool]:
    """Each service's name: whether its server runs."""
    services = load(var_dir, lab)
    return {name: services is not None and _running(services, name) for name in SERVICES}


def availability_toml(services: Services) -> str:
    """The [[availability.services]] tables (and the notify rule) that watch the lab's services, as TOML text."""
    address, ca = services.address, json.dumps(str(services.ca_file))
    common = f"interval_seconds = {CHECK_INTERVAL_SECONDS}\ntimeout_seconds = 5\n" \
             f"failures_before_down = {FAILURES_BEFORE_DOWN}\n"
    return f"""
# --- the lab's services (`ops lab services up --name {services.lab}`), watched on the Availability page ---
[[availability.services]]
name = "web"
label = "Cổng thông tin điện tử (lab)"
unit = "unit_it_centre"
system = "system_land_procedures"
sla_target_percent = 99.5

[[availability.services.checks]]
name = "home"
kind = "http"
url = "http://{address}/"
expect_text = "Cổng thông tin điện tử"
max_response_ms = 2000
{common}
[[availability.services]]
name = "dns"
label = "DNS nội bộ (lab)"
unit = "unit_it_centre"
system = "system_internal_network"
sla_target_percent = 99.9

[[availability.services.checks]]
name = "zone"
kind = "dns"
server = "{address}"
record = "{WEB_NAME}"
expect = ["{address}"]
{common}
[[availability.services]]
name = "motcua"
label = "Hệ thống một cửa (lab)"
unit = "unit_it_centre"
system = "system_land_procedures"
sla_target_percent = 99.5
depends_on = ["dns"]

[[availability.services.checks]]
name = "home"
kind = "http"
url = "https://{address}/"
expect_text = "Một cửa"
ca_file = {ca}
{common}
[[availability.services.checks]]
name = "certificate"
kind = "tls"
host = "{address}"
server_name = "{PORTAL_NAME}"
ca_file = {ca}
{common}
[[notify.rules]]
# the lab's services: down, back up, unreachable, certificates near expiry, to the demo's mailbox
name = "lab-services"
events = ["service.down", "service.up", "service.unreachable", "certificate.expiring", "certificate.expired"]
min_severity = "info"
channels = ["demo-mailbox"]
throttle_minutes = 60
"""
