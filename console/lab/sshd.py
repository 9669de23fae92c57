"""One sshd per lab host: Debian's openssh-server, its own config, host key and pid file.

sshd runs in the host's namespace (started with `ip netns exec`), so an
Ansible SSH session to the host, and everything it starts, runs there too.
Root logs in with the lab's key only. StrictModes is off because lab files
may live under a world-writable temporary folder (pytest's tmp_path).

Like Debian's sshd_config, the config first includes the host's
etc/ssh/sshd_config.d/*.conf (under its install root), so the baseline's
hardening file is in force (first value wins) and `sshd -T` reports it. A
last `Match Address <gateway>` block lets root log in by key from the lab's
gateway, where Ansible (the control node) connects from, even once the
hardening says `PermitRootLogin no`: a lab concession (docs/remediation.md);
`sshd -T` without -C reports the global value, which is what SRV-04 reads.
The baseline's handler reloads this sshd with SIGHUP through its PidFile.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from console.lab.commands import run
from console.lab.errors import LabError
from console.lab.state import LabHost, LabState

SSHD = "/usr/sbin/sshd"
PRIVSEP_DIR = Path("/run/sshd")  # compiled into Debian's sshd; missing where systemd never ran

CONFIG = """# sshd for lab host {name} ({address}), written by `ops lab up`.
Include {include}
ListenAddress {address}
Port 22
HostKey {host_key}
PidFile {pid_file}
AuthorizedKeysFile {authorized_keys}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxSessions 50
MaxStartups 100:30:200
Subsystem sftp /usr/lib/openssh/sftp-server
AcceptEnv LANG LC_*
# A lab host shares this machine's files, root's home among them; a real server does not run this machine's
# ~/.bashrc (pyenv's and cargo's set-ups here: about 100 processes and 0.1 s of CPU for every command over
# SSH, every Ansible task). Debian's bash reads ~/.bashrc for a command sshd starts only when it is the first
# shell (SHLVL unset): a session starts at level 1, as a server's commands run in a clean environment.
# Each session's Python keeps the code it compiles from Ansible's payloads (console/lab/payload_cache.py).
# pip installs without compiling every module it unpacks (PIP_COMPILE=0; PIP_NO_COMPILE=1 would still compile):
# the lab's services run as root and compile what they import on first use. A real server compiles at install,
# where the console's services cannot write into their root-owned venv.
SetEnv SHLVL=1 PYTHONPATH="{python_dir}" OPS_LAB_PYCACHE="{pycache_dir}" PIP_COMPILE=0
# Ansible connects from the lab's gateway as root with the lab's key, whatever the hardening says.
Match Address {gateway}
    PermitRootLogin prohibit-password
"""


def make_key(path: Path, comment: str) -> None:
    """An Ed25519 key pair without passphrase at path and path.pub."""
    path.parent.mkdir(parents=True, exist_ok=True)
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path))


def files(host: LabHost) -> dict[str, Path]:
    base = Path(host.sshd_dir)
    return {"config": base / "sshd_config", "host_key": base / "ssh_host_ed25519_key",
            "pid_file": base / "sshd.pid", "log": base / "sshd.log"}


def write_config(state: LabState, host: LabHost) -> None:
    paths = files(host)
    python_dir, pycache_dir = payload_cache_dirs(Path(state.directory))
    make_key(paths["host_key"], f"lab host {host.name}")
    authorized_keys = Path(state.directory) / "authorized_keys"
    include = Path(host.install_root) / "etc/ssh/sshd_config.d/*.conf"
    paths["config"].write_text(CONFIG.format(name=host.name, address=host.address, host_key=paths["host_key"],
                                             pid_file=paths["pid_file"], authorized_keys=authorized_keys,
                                             include=include, gateway=state.gateway,
                                             python_dir=python_dir, pycache_dir=pycache_dir))


def payload_cache_dirs(directory: Path) -> tuple[Path, Path]:
    """The lab's folders for its hosts' sitecustomize.py and for the code it keeps (console/lab/payload_cache.py)."""
    python_dir, pycache_dir = directory / "python", directory / "pycache"
    python_dir.mkdir(exist_ok=True)
    pycache_dir.mkdir(mode=0o700, exist_ok=True)
    source = Path(__file__).with_name("payload_cache.py").read_bytes()
    target = python_dir / "sitecustomize.py"
    if not target.exists() or target.read_bytes() != source:
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(source)
        tmp.replace(target)
    return python_dir, pycache_dir


def start(host: LabHost) -> None:
    """Start sshd -D in the host's namespace, detached (setsid -f): it outlives this process."""
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    paths = files(host)
    run(SSHD, "-t", "-f", str(paths["config"]), "-h", str(paths["host_key"]))
    with open(paths["log"], "ab") as log:
        subprocess.run(["setsid", "-f", "ip", "netns", "exec", host.namespace, SSHD, "-D", "-f", str(paths["config"]),
                        "-h", str(paths["host_key"]), "-E", str(paths["log"])],
                       stdin=subprocess.DEVNULL, stdout=log, stderr=log, check=True, timeout=30)


def wait_listening(host: LabHost, timeout_seconds: float = 15) -> None:
    """Until the host's sshd answers with its banner, seen from the root namespace over the bridge."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host.address, 22), timeout=1) as conn:
                if conn.recv(4).startswith(b"SSH-"):
                    return
        except OSError:
            time.sleep(0.1)
    log = files(host)["log"]
    detail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
    raise LabError(f"sshd of {host.name} ({host.address}) did not answer within {timeout_seconds:.0f} s"
                   + (f": {detail[0]}" if detail else ""))


def stop(host: LabHost) -> None:
    """Stop the host's listening sshd only (its sessions go on): what an outage looks like."""
    pid_file = files(host)["pid_file"]
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    run("kill", str(pid), check=False)


def known_hosts_line(host: LabHost) -> str:
    public = (files(host)["host_key"].with_suffix(".pub")).read_text().split()
    return f"{host.address} {public[0]} {public[1]}\n"
