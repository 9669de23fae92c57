#!/usr/bin/python
"""What the agent role needs to know about a host, read in one module run instead of one task per path."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ops_agent_state
short_description: Read the Ops Console agent's install state on a host in one go
description:
  - Reads, without changing anything, what the ops_agent role would otherwise ask with a stat, a slurp or a
    command task each, so that a run with nothing to do costs one module run a host.
  - Folders are ready when they are directories with the wanted mode; files are reported with their SHA-1
    and mode; the agent process is checked with C(start-stop-daemon --status) like the role did before.
options:
  folders:
    description: Folders the role creates.
    type: list
    elements: path
    default: []
  folder_mode:
    description: The mode those folders must have, in octal.
    type: str
    default: "0750"
  files:
    description: Files to report with their SHA-1 and mode, by a name of the caller's choosing.
    type: dict
    default: {}
  paths:
    description: Paths whose existence to report, by a name of the caller's choosing.
    type: dict
    default: {}
  pid_file:
    description: The agent's pid file when it runs as a plain process; empty under systemd.
    type: path
    default: ""
author: Ops Console
"""

EXAMPLES = r"""
- name: Look at the agent's install on the host
  ops_agent_state:
    folders: [/opt/ops-agent/wheels, /etc/ops-agent]
    files: {config: /etc/ops-agent/ops.toml}
    paths: {enrolment: /var/lib/ops-agent/agent.json}
    pid_file: /run/ops-agent.pid
  register: ops_agent_state
"""

RETURN = r"""
folders_ready:
  description: The given folders that are directories with the wanted mode.
  type: list
  returned: always
files:
  description: "For each given name: exists, checksum (SHA-1, empty if missing) and mode (octal, empty if missing)."
  type: dict
  returned: always
present:
  description: "For each name given in paths: whether the path exists."
  type: dict
  returned: always
process_rc:
  description: Exit status of start-stop-daemon --status (0 running, 1 dead with a pid file, 3 not running); -1 without pid_file.
  type: int
  returned: always
"""

import os
import stat

from ansible.module_utils.basic import AnsibleModule


def describe(module: AnsibleModule, path: str) -> dict:
    try:
        info = os.stat(path)
    except OSError:
        return {"exists": False, "checksum": "", "mode": ""}
    regular = stat.S_ISREG(info.st_mode)
    return {"exists": True, "checksum": module.sha1(path) if regular else "", "mode": f"{stat.S_IMODE(info.st_mode):04o}"}


def main() -> None:
    module = AnsibleModule(argument_spec={
        "folders": {"type": "list", "elements": "path", "default": []},
        "folder_mode": {"type": "str", "default": "0750"},
        "files": {"type": "dict", "default": {}},
        "paths": {"type": "dict", "default": {}},
        "pid_file": {"type": "path", "default": ""},
    }, supports_check_mode=True)
    try:
        wanted = int(module.params["folder_mode"], 8)
    except ValueError:
        module.fail_json(msg=f"folder_mode: {module.params['folder_mode']!r} is not an octal mode")
    ready = []
    for folder in module.params["folders"]:
        try:
            info = os.stat(folder)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == wanted:
            ready.append(folder)
    files = {name: describe(module, os.path.expanduser(str(path))) for name, path in module.params["files"].items()}
    present = {name: os.path.exists(os.path.expanduser(str(path))) for name, path in module.params["paths"].items()}
    process_rc = -1
    if module.params["pid_file"]:
        rc, _, err = module.run_command(["start-stop-daemon", "--status", "--pidfile", module.params["pid_file"]])
        if rc not in (0, 1, 3):
            module.fail_json(msg=f"start-stop-daemon --status --pidfile {module.params['pid_file']}: rc {rc} {err}")
        process_rc = rc
    module.exit_json(changed=False, folders_ready=ready, files=files, present=present, process_rc=process_rc)


if __name__ == "__main__":
    main()
