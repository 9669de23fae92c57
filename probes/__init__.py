"""The Ops Console host agent.

It runs on every server and workstation, collects health, antivirus,
firewall, UPS and IDS-sensor status, and reports to the console. It imports
nothing from `console/`: it must run where the console is not installed.
"""

from importlib.metadata import PackageNotFoundError, version

try:  # the one version number: pyproject's, as the console shows it (the agent ships in the same wheel)
    __version__ = version("ops-console")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "unknown"
