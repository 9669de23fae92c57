"""Kaspersky Security Center over its Open API (KSC 13 to 15), read-only.

The calls, as the KSCAPI reference (support.kaspersky.com/help/KSC/<version>/KSCAPI/) documents them:

- `Session.StartSession` (class Session, "Authenticated session"): a POST to
  /api/v1.0/Session.StartSession with the header
  `Authorization: KSCBasic user="<base64>", pass="<base64>", internal="1"`
  answers {"PxgRetVal": "<token>"}; every later call sends `X-KSC-Session: <token>`.
  A session that has ended answers 403 (Session.EndSession: "all requests
  within session will fail with 403 Forbidden"); it is opened again once.
- `HostGroup.FindGroups` and `HostGroup.FindHosts(wstrFilter, vecFieldsToReturn,
  vecFieldsToOrder, pParams, lMaxLifeTime)` answer {"strAccessor": ...};
- `ChunkAccessor.GetItemsCount(strAccessor)`, `ChunkAccessor.GetItemsChunk(strAccessor,
  nStart, nCount)` answering {"pChunk": {"KLCSP_ITERATOR_ARRAY": [{"type": "params",
  "value": {...}}, ...]}} and `ChunkAccessor.Release(strAccessor)` (class ChunkAccessor,
  KSC 13 page a00465 with its KlAkOAPI example).
- Values: strings, integers and booleans as JSON values; paramLong as
  {"type": "long", "value": N}; paramDateTime as {"type": "datetime", "value": "ISO 8601"}.

Every answer is bounded (`max_answer_bytes`, read as it streams in) and timed
(`timeout_seconds` per call, connect included) and checked against that shape:
a field of the wrong type is an error naming the field and the host, never a
half-read estate. Only Find/Get/Count/Release calls are ever sent. The password
is base64-encoded into the header as the API wants, never logged or put in a reason.
"""

from __future__ import annotations

import base64
import json
import socket
from dataclasses import dataclass
from datetime import datetime, timezone

from console.common.https import HttpsClient, HttpsError
from console.common.secrets import SecretError, resolve
from console.errors import OpsError

API = "/api/v1.0"
HOST_FIELDS = ("KLHST_WKS_HOSTNAME", "KLHST_WKS_DN", "KLHST_WKS_FQDN", "KLHST_WKS_IP_LONG", "KLHST_WKS_GROUPID",
               "KLHST_WKS_OS_NAME", "KLHST_WKS_NAG_VERSION", "KLHST_WKS_RTP_AV_VERSION",
               "KLHST_WKS_RTP_AV_BASES_TIME", "KLHST_WKS_RTP_STATE", "KLHST_WKS_LAST_VISIBLE",
               "KLHST_WKS_STATUS_ID", "KLHST_WKS_STATUS_MASK_0")
GROUP_FIELDS = ("id", "name")
ACCESSOR_LIFETIME = 600
MAX_HOSTS = 200_000


class KscError(OpsError):
    """KSC could not be read, or answered something that is not the documented shape; nothing was stored."""

    http_status = 502


@dataclass(frozen=True)
class KscHost:
    ksc_id: str
    name: str
    fqdn: str
    address: str
    group_id: int | None
    os_name: str
    nag_version: str
    av_version: str
    bases_at: datetime | None
    rtp_state: int | None
    last_visible_at: datetime | None
    status_id: int | None
    status_mask: int | None


def read_hosts(config) -> tuple[list[KscHost], dict[int, str]]:
    """(every host KSC manages, {group id: group name}); KscError on any failure."""
    with KscClient(config) as client:
        groups = {}
        for item in client.find("HostGroup.FindGroups", GROUP_FIELDS):
            group_id, name = item.get("id"), item.get("name")
            if not isinstance(group_id, int) or not isinstance(name, str):
                raise KscError(f"KSC group {group_id!r}: fields id (integer) and name (text) expected")
            groups[group_id] = name
        hosts = [parse_host(item) for item in client.find("HostGroup.FindHosts", HOST_FIELDS)]
    return hosts, groups


class KscClient:
    """One HTTPS connection (kept alive) and one session for the calls of a sync."""

    def __init__(self, config):
        self.config = config
        self.where = f"KSC {config.address}:{config.port}"
        self.https = HttpsClient(config.address, config.port, timeout=config.timeout_seconds, ca_file=config.ca_file,
                                 pin_sha256=config.pin_sha256, server_name=config.tls_server_name or config.address,
                                 max_answer_bytes=config.max_answer_bytes)
        self.token = ""

    def __enter__(self) -> "KscClient":
        try:
            self._connect()
            self.token = self._start_session()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.https.close()

    def find(self, method: str, fields: tuple[str, ...]) -> list[dict]:
        """Every item of a Find* call, read chunk by chunk through ChunkAccessor, the accessor released after."""
        params = {"vecFieldsToOrder": [], "lMaxLifeTime": ACCESSOR_LIFETIME, "vecFieldsToReturn": list(fields)}
        params.update({"wstrFilter": "", "pParams": {"KLGRP_FIND_FROM_CUR_VS_ONLY": True}})
        accessor = self.call(method, params).get("strAccessor")
        if not isinstance(accessor, str) or not accessor:
            raise KscError(f"{self.where}: {method} answered no strAccessor")
        try:
            return self._read_all(method, accessor)
        finally:
            self._release(accessor)

    def _read_all(self, method: str, accessor: str) -> list[dict]:
        count = self.call("ChunkAccessor.GetItemsCount", {"strAccessor": accessor}).get("PxgRetVal")
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_HOSTS:
            raise KscError(f"{self.where}: ChunkAccessor.GetItemsCount: PxgRetVal is not a count (got {count!r})")
        items: list[dict] = []
        while len(items) < count:
            wanted = min(self.config.chunk_size, count - len(items))
            answer = self.call("ChunkAccessor.GetItemsChunk",
                               {"strAccessor": accessor, "nStart": len(items), "nCount": wanted})
            chunk = chunk_items(answer, f"{self.where}: {method} chunk at {len(items)}")
            if not chunk:
                raise KscError(f"{self.where}: {method}: chunk at {len(items)} is empty, {count} items announced")
            items.extend(chunk)
        return items[:count]

    def _release(self, accessor: str) -> None:
        try:
            self.call("ChunkAccessor.Release", {"strAccessor": accessor})
        except KscError:
            pass  # the accessor expires after lMaxLifeTime anyway

    def call(self, method: str, params: dict, retry: bool = True) -> dict:
        status, body = self._post(f"{API}/{method}", params, {"X-KSC-Session": self.token})
        if status in (401, 403) and retry:
            self.token = self._start_session()  # the session expired: open another, once
            return self.call(method, params, retry=False)
        return self._answer(method, status, body)

    def _start_session(self) -> str:
        user = base64.b64encode(self.config.username.encode()).decode()
        password = base64.b64encode(_password(self.config).encode()).decode()
        header = f'KSCBasic user="{user}", pass="{password}", internal="{int(self.config.internal_user)}"'
        status, body = self._post(f"{API}/Session.StartSession", {}, {"Authorization": header})
        if status in (401, 403):
            raise KscError(f"{self.where}: login refused for {self.config.username!r} (HTTP {status})")
        token = self._answer("Session.StartSession", status, body).get("PxgRetVal")
        if not isinstance(token, str) or not token:
            raise KscError(f"{self.where}: Session.StartSession answered no session token")
        return token

    def _answer(self, method: str, status: int, body: bytes) -> dict:
        try:
            answer = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise KscError(f"{self.where}: {method}: the answer is not JSON (HTTP {status}, {len(body)} bytes; "
                           f"cut short?)") from None
        if not isinstance(answer, dict):
            raise KscError(f"{self.where}: {method}: the answer is not a JSON object")
        error = answer.get("PxgError")
        if status != 200 or error is not None:
            message = error.get("message") if isinstance(error, dict) else None
            raise KscError(f"{self.where}: {method} answered HTTP {status}"
                           + (f": {str(message)[:200]}" if message else ""))
        return answer

    def _connect(self) -> None:
        try:
            self.https.connect()
        except HttpsError as exc:
            raise KscError(f"KSC {exc}") from None

    def _post(self, path: str, params: dict, headers: dict) -> tuple[int, bytes]:
        """One call through the console's bounded, pinned HTTPS client (console/common/https.py), kept alive."""
        body = json.dumps(params).encode()
        try:
            answer = self.https.request("POST", path, body, {"Content-Type": "application/json",
                                                             "Accept": "application/json", **headers})
        except HttpsError as exc:
            raise KscError(f"KSC {exc}".replace(f"{self.https.where}: ", f"{self.https.where}: "
                                                f"{path.rsplit('/', 1)[-1]}: ", 1)) from None
        return answer.status, answer.body


def _password(config) -> str:
    if not config.password:
        raise KscError("[endpoints] password is not set (env:NAME or file:/path)")
    try:
        return resolve(config.password)
    except SecretError as exc:
        raise KscError(str(exc)) from None


def chunk_items(answer: dict, where: str) -> list[dict]:
    """The `value` of every {"type": "params"} item of pChunk.KLCSP_ITERATOR_ARRAY; KscError on another shape."""
    chunk = answer.get("pChunk")
    items = chunk.get("KLCSP_ITERATOR_ARRAY") if isinstance(chunk, dict) else None
    if not isinstance(items, list):
        raise KscError(f"{where}: pChunk.KLCSP_ITERATOR_ARRAY is missing or not a list")
    values = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or item.get("type") != "params" or not isinstance(item.get("value"), dict):
            raise KscError(f'{where}: KLCSP_ITERATOR_ARRAY[{index}] is not {{"type": "params", "value": {{...}}}}')
        values.append(item["value"])
    return values


def parse_host(item: dict) -> KscHost:
    """One FindHosts item checked field by field; KscError naming the field and the host."""
    ksc_id = item.get("KLHST_WKS_HOSTNAME")
    if not isinstance(ksc_id, str) or not ksc_id.strip():
        raise KscError(f"KSC host {item.get('KLHST_WKS_DN')!r}: field KLHST_WKS_HOSTNAME is missing or empty")
    host = _Fields(item, ksc_id)
    name = host.text("KLHST_WKS_DN")
    if not name.strip():
        raise KscError(f"KSC host {ksc_id}: field KLHST_WKS_DN (the host's name) is missing or empty")
    return KscHost(ksc_id=ksc_id[:64], name=name.strip()[:255], fqdn=host.text("KLHST_WKS_FQDN")[:255],
                   address=host.address("KLHST_WKS_IP_LONG"), group_id=host.integer("KLHST_WKS_GROUPID"),
                   os_name=host.text("KLHST_WKS_OS_NAME")[:255], nag_version=host.text("KLHST_WKS_NAG_VERSION")[:64],
                   av_version=host.text("KLHST_WKS_RTP_AV_VERSION")[:64],
                   bases_at=host.moment("KLHST_WKS_RTP_AV_BASES_TIME"), rtp_state=host.integer("KLHST_WKS_RTP_STATE"),
                   last_visible_at=host.moment("KLHST_WKS_LAST_VISIBLE"),
                   status_id=host.integer("KLHST_WKS_STATUS_ID"), status_mask=host.integer("KLHST_WKS_STATUS_MASK_0"))


class _Fields:
    """Typed reads of one host's attributes; an absent or null attribute is None/"" (KSC leaves unknowns out)."""

    def __init__(self, item: dict, ksc_id: str):
        self.item, self.ksc_id = item, ksc_id

    def _wrong(self, field: str, expected: str):
        value = repr(self.item.get(field))[:80]
        return KscError(f"KSC host {self.ksc_id}: field {field}: expected {expected}, got {value}")

    def text(self, field: str) -> str:
        value = self.item.get(field)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self._wrong(field, "text")
        return value

    def integer(self, field: str) -> int | None:
        value = self.item.get(field)
        if isinstance(value, dict) and value.get("type") == "long":
            value = value.get("value")
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._wrong(field, "an integer")
        return value

    def moment(self, field: str) -> datetime | None:
        value = self.item.get(field)
        if value is None:
            return None
        if not isinstance(value, dict) or value.get("type") != "datetime" or not isinstance(value.get("value"), str):
            raise self._wrong(field, '{"type": "datetime", "value": "<ISO 8601>"}')
        try:
            moment = datetime.fromisoformat(value["value"].replace("Z", "+00:00"))
        except ValueError:
            raise self._wrong(field, "an ISO 8601 time") from None
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)

    def address(self, field: str) -> str:
        value = self.integer(field)
        if value is None or value == 0:
            return ""
        if not 0 < value < 2 ** 32:
            raise self._wrong(field, "an IPv4 address as an integer")
        return socket.inet_ntoa(value.to_bytes(4, "big"))
