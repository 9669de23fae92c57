"""The Ops Console host agent.

It runs on every server and workstation, collects health, antivirus,
firewall, UPS and IDS-sensor status, and reports to the console. It imports
nothing from `console/`: it must run where the console is not installed.
"""

__version__ = "0.1.0"
