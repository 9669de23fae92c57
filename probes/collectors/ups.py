"""UPS status from NUT's upsd over its TCP protocol (no NUT library needed).

Speaks the network protocol NUT documents in docs/net-protocol.txt:
`LIST VAR <ups>` is answered by `BEGIN LIST VAR <ups>`, one
`VAR <ups> <name> "<value>"` line per variable and `END LIST VAR <ups>`;
`GET VAR <ups> <name>` by one `VAR` line; any request may get `ERR <code>`.
upsd is treated as hostile: a line is at most MAX_LINE bytes, an answer at
most MAX_LINES lines and the whole exchange takes at most `timeout` seconds
after connecting; words are split the way NUT's own parser does it (double
quotes group, a backslash escapes the next character), nothing more.
"""

from __future__ import annotations

import math
import re
import socket
import time

from probes.collectors import CollectorFailed

MAX_LINE = 4096
MAX_LINES = 2000
DEFAULT_PORT = 3493
NAME = re.compile(r"[\w.+-]{1,64}", re.ASCII)  # UPS and variable names; nothing that could end a command
TARGET = re.compile(r"(?P<ups>[^@]+)(?:@(?P<host>\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::(?P<port>\d{1,5}))?)?")


class NutError(CollectorFailed):
    """upsd answered `ERR <code>`; `code` is NUT's word for it (UNKNOWN-UPS, ACCESS-DENIED...)."""

    def __init__(self, where: str, ups: str, code: str):
        super().__init__(f"upsd {where} answered ERR {code} for UPS {ups!r}")
        self.ups, self.code = ups, code


class NutClient:
    """One short connection per request: upsd keeps no state a status read needs."""

    def __init__(self, host: str, port: int = DEFAULT_PORT, timeout: float = 5.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def list_vars(self, ups: str) -> dict[str, str]:
        """Every variable of `ups` as upsd lists it, values unescaped."""
        _check_name(ups, "UPS name")
        with self._connect() as sock:
            lines = _Lines(sock, self.where, time.monotonic() + self.timeout)
            sock.sendall(f"LIST VAR {ups}\n".encode())
            found = self._read_list(lines, ups)
            _logout(sock)
        return found

    def get_var(self, ups: str, name: str) -> str:
        """One variable; upsd answers ERR VAR-NOT-SUPPORTED for one the UPS does not have."""
        _check_name(ups, "UPS name")
        _check_name(name, "variable name")
        with self._connect() as sock:
            lines = _Lines(sock, self.where, time.monotonic() + self.timeout)
            sock.sendall(f"GET VAR {ups} {name}\n".encode())
            got, value = self._var(lines.next(), ups)
            _logout(sock)
        if got != name:
            raise CollectorFailed(f"upsd {self.where}: asked for {name}, got {got[:64]!r}")
        return value

    def _connect(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=self.timeout)

    def _read_list(self, lines: _Lines, ups: str) -> dict[str, str]:
        first = lines.next()
        self._raise_if_err(first, ups)
        if first != f"BEGIN LIST VAR {ups}":
            raise CollectorFailed(f"upsd {self.where}: unexpected answer {first[:80]!r}")
        found: dict[str, str] = {}
        for _ in range(MAX_LINES):
            line = lines.next()
            if line == f"END LIST VAR {ups}":
                return found
            name, value = self._var(line, ups)
            found[name] = value
        raise CollectorFailed(f"upsd {self.where}: answer for {ups!r} exceeds {MAX_LINES} lines")

    def _var(self, line: str, ups: str) -> tuple[str, str]:
        """`VAR <ups> <name> "<value>"` -> (name, value)."""
        self._raise_if_err(line, ups)
        try:
            words = split_words(line)
        except ValueError as exc:
            raise CollectorFailed(f"upsd {self.where}: malformed line {line[:80]!r} ({exc})") from None
        if len(words) != 4 or words[0] != "VAR" or not NAME.fullmatch(words[2]):
            raise CollectorFailed(f"upsd {self.where}: malformed variable line {line[:80]!r}")
        if words[1] != ups:
            raise CollectorFailed(f"upsd {self.where}: answer about {words[1][:64]!r}, not {ups!r}")
        return words[2], words[3]

    def _raise_if_err(self, line: str, ups: str) -> None:
        if line.startswith("ERR"):
            code = (line[3:].split() or ["(no code)"])[0]
            raise NutError(self.where, ups, code[:64])


class _Lines:
    """Lines from a socket, each bounded, all of them within one deadline."""

    def __init__(self, sock: socket.socket, where: str, deadline: float):
        self.sock, self.where, self.deadline, self.buffer = sock, where, deadline, b""

    def next(self) -> str:
        while b"\n" not in self.buffer[: MAX_LINE + 1]:
            if len(self.buffer) > MAX_LINE:
                raise CollectorFailed(f"upsd {self.where} sent a line too long (over {MAX_LINE} bytes)")
            chunk = self._receive()
            if not chunk:
                raise CollectorFailed(f"upsd {self.where} closed the connection mid-answer")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode("utf-8", "replace").rstrip("\r")

    def _receive(self) -> bytes:
        remaining = self.deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise TimeoutError
            self.sock.settimeout(remaining)
            return self.sock.recv(4096)
        except TimeoutError:
            raise CollectorFailed(f"upsd {self.where} did not finish its answer in time") from None


def split_words(line: str) -> list[str]:
    """Words as NUT's parser splits them: spaces separate, "..." groups, \\ escapes one character."""
    words: list[str] = []
    word: list[str] = []
    started = quoted = escaped = False
    for char in line:
        if escaped:
            word.append(char)
            escaped = False
        elif char == "\\":
            escaped = started = True
        elif char == '"':
            quoted, started = not quoted, True
        elif char == " " and not quoted:
            if started:
                words.append("".join(word))
            word, started = [], False
        else:
            word.append(char)
            started = True
    if quoted or escaped:
        raise ValueError("unterminated quote or escape")
    return words + (["".join(word)] if started else [])


def _logout(sock: socket.socket) -> None:
    """Say goodbye politely; the answer is already read, so a closed peer changes nothing."""
    try:
        sock.sendall(b"LOGOUT\n")
    except OSError:
        pass


def _check_name(name: str, what: str) -> None:
    if not NAME.fullmatch(name):
        raise CollectorFailed(f"{what} {name[:64]!r}: use letters, digits and . _ + -")


def parse_target(target: str) -> tuple[str, str, int]:
    """'ups1@198.18.1.5:3493' -> ('ups1', '198.18.1.5', 3493); host defaults to localhost like upsc."""
    found = TARGET.fullmatch(target.strip())
    port = int(found["port"] or DEFAULT_PORT) if found else 0
    if not found or not NAME.fullmatch(found["ups"]) or not 0 < port < 65536:
        raise CollectorFailed(f"UPS target {target[:100]!r}: use upsname@host[:port]")
    return found["ups"], (found["host"] or "127.0.0.1").strip("[]"), port


def _number(variables: dict[str, str], name: str) -> float | None:
    """A finite number or None: a hostile 'nan' or 'inf' would not survive JSON."""
    try:
        value = float(variables[name])
    except (KeyError, ValueError):
        return None
    return value if math.isfinite(value) else None


class UpsCollector:
    """One entry per target; an unreachable upsd is an entry with `error`, never an exception."""

    name = "ups"

    def __init__(self, targets: list[str], timeout: float = 5.0):
        self.targets, self.timeout = targets, timeout

    def collect(self) -> list[dict]:
        return [self._one(target) for target in self.targets]

    def _one(self, target: str) -> dict:
        try:
            ups, host, port = parse_target(target)
            variables = NutClient(host, port, self.timeout).list_vars(ups)
        except CollectorFailed as exc:
            return {"name": target, "reachable": False, "error": str(exc)[:300]}
        except OSError as exc:  # refused, unreachable, timed out, reset
            reason = exc.strerror or str(exc) or type(exc).__name__
            return {"name": target, "reachable": False, "error": f"upsd {host}:{port}: {reason}"[:300]}
        return {"name": target, "reachable": True, **status_fields(variables), "variables": variables}


def status_fields(variables: dict[str, str]) -> dict:
    """The report's UPS fields from upsd's variables (the console's NUT connector uses it too)."""
    return {
        "status_flags": variables.get("ups.status", "").split(),
        "battery_charge_percent": _number(variables, "battery.charge"),
        "battery_runtime_seconds": _number(variables, "battery.runtime"),
        "load_percent": _number(variables, "ups.load"),
        "input_voltage": _number(variables, "input.voltage"),
        "test_result": variables.get("ups.test.result"),
    }
