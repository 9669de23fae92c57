"""The demo's Kaspersky Security Center: an HTTPS server answering the KSC Open API calls the console makes.

It is NOT Kaspersky Security Center (which cannot run here): it replays the
request and answer shapes the KSCAPI reference documents
(support.kaspersky.com/help/KSC/<13|14|15>/KSCAPI/):

- class Session, `StartSession` (page a00575 in KSC 15): POST
  /api/v1.0/Session.StartSession with `Authorization: KSCBasic user="<base64>",
  pass="<base64>", internal="1"` answers {"PxgRetVal": "<token>"}; later calls
  carry `X-KSC-Session`; an unknown or ended session gets 403 (EndSession's page);
- class HostGroup, `FindHosts` / `FindGroups` (page a00483 in KSC 13): answer
  {"strAccessor": "...", "PxgRetVal": <count>};
- class ChunkAccessor (page a00465 in KSC 13): `GetItemsCount`, `GetItemsChunk`
  (nStart, nCount) answering {"pChunk": {"KLCSP_ITERATOR_ARRAY": [{"type": "params",
  "value": {...}}]}, "PxgRetVal": n} and `Release`;
- host attributes ("List of host attributes"): KLHST_WKS_HOSTNAME, KLHST_WKS_DN,
  KLHST_WKS_FQDN, KLHST_WKS_IP_LONG (paramLong), KLHST_WKS_GROUPID, KLHST_WKS_OS_NAME,
  KLHST_WKS_NAG_VERSION, KLHST_WKS_RTP_AV_VERSION, KLHST_WKS_RTP_AV_BASES_TIME
  (paramDateTime), KLHST_WKS_RTP_STATE ("Global RTP State enum", 4 = running,
  1 = stopped), KLHST_WKS_LAST_VISIBLE, KLHST_WKS_STATUS_ID (0 OK, 1 critical,
  2 warning) and KLHST_WKS_STATUS_MASK_0 (the extended status mask: bit 1 RTP not
  running, bit 7 bases too old, bit 8 Network Agent inactive too long).

`estate()` makes the demo's hosts: the inventory's servers (but for a few, so
coverage has something to find) and generated workstations in every unit, some
with old bases, some with protection off, some not seen for weeks.
`ops lab ksc --port 13299 --hosts 300` serves them; tests/fixtures/ksc_replay.py
adds fault modes around the same server. Its certificate is self-signed, made
with `cryptography` for 127.0.0.1, and its SHA-256 printed for the pin.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import random
import re
import secrets
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from console.lab.errors import LabError

DEFAULT_PORT = 13299
USERNAME = "ops-reader"
UTC = dt.timezone.utc
MAX_REQUEST_BYTES = 1024 * 1024
# Servers the demo's KSC does not manage, so "inventory servers without antivirus" lists some.
UNMANAGED_SERVERS = ("dtnmt-bak-01", "dtnmt-cn2-file-01", "dtnmt-qt-gw-01")
# Workstations take .100 to .199 of their unit's network. The demo's IDS traffic comes from
# console/lab/traffic.py's OUTSIDE_NETWORK, which no unit has: KSC knows none of those addresses, so the
# coverage figure lists them with the lab's unmanaged laptop among the unmanaged devices.
UNIT_NETWORKS = {"unit_it_centre": "198.18.10", "unit_department_office": "198.18.20",
                 "unit_land_registration": "198.18.30", "unit_land_branch_city": "198.18.31",
                 "unit_land_branch_district": "198.18.32", "unit_env_monitoring": "198.18.40"}
WINDOWS = ("Microsoft Windows 10 Pro", "Microsoft Windows 11 Pro", "Microsoft Windows 10 Enterprise")
KES_VERSIONS = ("12.5.0.539", "12.6.0.438", "12.3.0.493")
NAG_VERSION = "15.1.0.20748"


@dataclass
class Estate:
    """KSC's administration groups {id: name} and its hosts, each a dict of host attributes in KSC's JSON form."""

    groups: dict[int, str]
    hosts: list[dict] = field(default_factory=list)


def estate(units: dict[str, dict], workstations: int, now: dt.datetime | None = None, seed: int = 18) -> Estate:
    """The demo estate: `units` is {unit: {"label": KSC group name, "servers": [(name, address)]}}."""
    now = now or dt.datetime.now(UTC)
    rng = random.Random(seed)
    groups = {index + 2: unit["label"] for index, unit in enumerate(units.values())}
    group_of = dict(zip(units, groups))
    result = Estate(groups)
    for unit, spec in units.items():
        for name, address in spec["servers"]:
            if name not in UNMANAGED_SERVERS:
                result.hosts.append(host(name, address, group_of[unit], "Debian GNU/Linux 12 (bookworm)",
                                         "12.1.0.1297", now, rng, server=True))
    names = list(units)
    for number in range(workstations):
        unit = names[number % len(names)]
        index = number // len(names)
        address = _workstation_address(unit, index, list(names).index(unit))
        name = f"ws-{unit.removeprefix('unit_').replace('_', '-')}-{index + 1:04d}"
        result.hosts.append(host(name, address, group_of[unit], rng.choice(WINDOWS), rng.choice(KES_VERSIONS),
                                 now, rng))
    return result


def _workstation_address(unit: str, index: int, unit_index: int) -> str:
    network = UNIT_NETWORKS.get(unit)
    if network and index < 100:
        return f"{network}.{100 + index}"
    return str(ipaddress.ip_address(f"10.{unit_index + 1}.0.0") + 10 + index)  # beyond the demo's 100 per unit


def host(name: str, address: str, group_id: int, os_name: str, av_version: str, now: dt.datetime, rng: random.Random,
         server: bool = False) -> dict:
    """One host's attributes as FindHosts returns them; about 1 in 16 with old bases, 1 in 25 off, 1 in 33 unseen."""
    roll = rng.random()
    bases_age = dt.timedelta(days=rng.randint(2, 20)) if 0.90 < roll <= 0.96 else dt.timedelta(hours=rng.randint(1, 20))
    rtp_state = 1 if 0.86 < roll <= 0.90 else 4
    seen_age = dt.timedelta(days=rng.randint(10, 40)) if roll <= 0.03 and not server else dt.timedelta(
        minutes=rng.randint(1, 600))
    mask = (2 if rtp_state != 4 else 0) | (1 << 7 if bases_age > dt.timedelta(days=1) else 0) | (
        1 << 8 if seen_age > dt.timedelta(days=7) else 0)
    domain = "stnmt.example.gov.vn"
    return {
        "KLHST_WKS_HOSTNAME": str(_uuid(rng)), "KLHST_WKS_DN": name, "KLHST_WKS_FQDN": f"{name}.{domain}",
        "KLHST_WKS_IP_LONG": {"type": "long", "value": int(ipaddress.ip_address(address))},
        "KLHST_WKS_GROUPID": group_id, "KLHST_WKS_OS_NAME": os_name, "KLHST_WKS_NAG_VERSION": NAG_VERSION,
        "KLHST_WKS_RTP_AV_VERSION": av_version,
        "KLHST_WKS_RTP_AV_BASES_TIME": datetime_value(now - bases_age),
        "KLHST_WKS_RTP_STATE": rtp_state, "KLHST_WKS_LAST_VISIBLE": datetime_value(now - seen_age),
        "KLHST_WKS_STATUS_ID": 1 if rtp_state != 4 else (2 if mask else 0), "KLHST_WKS_STATUS_MASK_0": mask,
    }


def _uuid(rng: random.Random) -> str:
    raw = f"{rng.getrandbits(128):032x}"
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def datetime_value(moment: dt.datetime) -> dict:
    return {"type": "datetime", "value": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def units_from_inventory(inventory) -> dict[str, dict]:
    """{unit: {"label": its English display name, "servers": [(name, address)]}} from a read inventory."""
    units: dict[str, dict] = {}
    for name, group in sorted(inventory.groups.items()):
        if group.kind == "unit":
            units[name] = {"label": str(group.variables.get("ops_unit_name_en") or name), "servers": []}
    for item in sorted(inventory.hosts.values(), key=lambda h: h.name):
        if item.unit in units:
            units[item.unit]["servers"].append((item.name, item.address))
    return units


def self_signed(folder: Path, name: str = "ksc") -> tuple[Path, Path, str]:
    """(certificate PEM, key PEM, SHA-256 of the certificate's DER) for 127.0.0.1 / localhost, valid 30 days."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ops-lab-ksc.test")])
    now = dt.datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / f"{name}.crt", folder / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.touch(mode=0o600)
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file, hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


class KscReplay:
    """The running server: `port`, `pin`, `cert_file`, `calls` (method names in order); `estate` may be replaced.

    `answer(method, params, headers)` is the whole protocol; subclasses (the test fixture) wrap it to inject faults.
    """

    def __init__(self, folder: Path, estate_: Estate, password: str, port: int = 0, host: str = "127.0.0.1",
                 username: str = USERNAME):
        self.cert_file, key_file, self.pin = self_signed(folder)
        self.estate, self.password, self.username = estate_, password, username
        self.sessions: set[str] = set()
        self.accessors: dict[str, list[dict]] = {}
        self.calls: list[str] = []
        self.lock = threading.Lock()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, key_file)
        try:
            self.server = ThreadingHTTPServer((host, port), _handler(self))
        except OSError as exc:
            raise LabError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        self.server.daemon_threads = True
        # The TLS handshake happens in the connection's own thread, on its first read, not in accept(): a
        # client that connects and says nothing then holds only its thread, not the loop that Ctrl-C stops.
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.server.handle_error = lambda request, address: None  # a client gone mid-handshake is not news
        self.port = self.server.server_address[1]

    def start(self) -> "KscReplay":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, method: str, params: dict, headers) -> tuple[int, dict]:
        with self.lock:
            self.calls.append(method)
        if method == "Session.StartSession":
            return self._login(headers.get("Authorization", ""))
        if headers.get("X-KSC-Session") not in self.sessions:
            return 403, {"PxgError": {"code": 1, "message": "session is not valid"}}
        handler = {"HostGroup.FindHosts": self._find_hosts, "HostGroup.FindGroups": self._find_groups,
                   "ChunkAccessor.GetItemsCount": self._count, "ChunkAccessor.GetItemsChunk": self._chunk,
                   "ChunkAccessor.Release": self._release}.get(method)
        if handler is None:
            return 404, {"PxgError": {"code": 2, "message": f"method {method} is not replayed"}}
        return handler(params)

    def handle(self, request, method: str, params: dict) -> None:
        """Answer one HTTP request (the fixture overrides this to cut, delay or bloat answers)."""
        status, answer = self.answer(method, params, request.headers)
        request.send_body(status, json.dumps(answer).encode())

    def end_sessions(self) -> None:
        """Every session ends, as Session.EndSession or a timeout would: the next call gets 403."""
        with self.lock:
            self.sessions.clear()

    def _login(self, header: str) -> tuple[int, dict]:
        found = dict(re.findall(r'(\w+)="([^"]*)"', header))
        try:
            user = base64.b64decode(found.get("user", "")).decode()
            password = base64.b64decode(found.get("pass", "")).decode()
        except ValueError:
            user = password = ""
        if not header.startswith("KSCBasic ") or (user, password) != (self.username, self.password):
            return 401, {"PxgError": {"code": 3, "message": "authentication failed"}}
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions.add(token)
        return 200, {"PxgRetVal": token}

    def _accessor(self, items: list[dict]) -> tuple[int, dict]:
        accessor = secrets.token_hex(8)
        with self.lock:
            self.accessors[accessor] = items
        return 200, {"strAccessor": accessor, "PxgRetVal": len(items)}

    def _find_hosts(self, params: dict) -> tuple[int, dict]:
        fields = params.get("vecFieldsToReturn") or []
        return self._accessor([{key: value for key, value in item.items() if key in fields}
                               for item in self.estate.hosts])

    def _find_groups(self, params: dict) -> tuple[int, dict]:
        return self._accessor([{"id": group_id, "name": name} for group_id, name in self.estate.groups.items()])

    def _count(self, params: dict) -> tuple[int, dict]:
        items = self.accessors.get(params.get("strAccessor"))
        if items is None:
            return 500, {"PxgError": {"code": 4, "message": "accessor not found"}}
        return 200, {"PxgRetVal": len(items)}

    def _chunk(self, params: dict) -> tuple[int, dict]:
        items = self.accessors.get(params.get("strAccessor"))
        start, count = params.get("nStart"), params.get("nCount")
        if items is None or not isinstance(start, int) or not isinstance(count, int):
            return 500, {"PxgError": {"code": 4, "message": "accessor not found or bad nStart/nCount"}}
        chunk = items[start:start + count]
        return 200, {"pChunk": {"KLCSP_ITERATOR_ARRAY": [{"type": "params", "value": item} for item in chunk]},
                     "PxgRetVal": len(chunk)}

    def _release(self, params: dict) -> tuple[int, dict]:
        with self.lock:
            self.accessors.pop(params.get("strAccessor"), None)
        return 200, {}


def _handler(replay: KscReplay):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as KSC's web server does
        timeout = 30  # seconds a connection may stay silent (a kept-alive one, or a stalled handshake)

        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if not self.path.startswith("/api/v1.0/") or length > MAX_REQUEST_BYTES:
                return self.send_body(404, b'{"PxgError": {"code": 2, "message": "not found"}}')
            raw = self.rfile.read(length)
            try:
                params = json.loads(raw or b"{}")
            except ValueError:
                return self.send_body(400, b'{"PxgError": {"code": 5, "message": "body is not JSON"}}')
            replay.handle(self, self.path.removeprefix("/api/v1.0/"), params)

        def send_body(self, status: int, body: bytes, declared: int | None = None):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) if declared is None else declared))
            self.end_headers()
            self.wfile.write(body)

    return Handler
