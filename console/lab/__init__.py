"""The lab: test hosts as network namespaces on a bridge, each with its own sshd.

    state = up(var_dir, 3, name="demo", console_port=8080)
    state.inventory_file, state.gateway, state.hosts
    down(var_dir, "demo")

See docs/provisioning.md.
"""

from console.lab.errors import LabError
from console.lab.inventory import merged_with_estate
from console.lab.lifecycle import DEFAULT_NAME, HostStatus, down, labs, status, up
from console.lab.sshd import stop as stop_sshd
from console.lab.state import LabHost, LabState, load

__all__ = ["DEFAULT_NAME", "HostStatus", "LabError", "LabHost", "LabState", "down", "labs", "load",
           "merged_with_estate", "status", "stop_sshd", "up"]
