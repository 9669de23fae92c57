"""A small suricata.yaml for offline runs (rule tests) and for tests of this package.

It has the address and port variables rules commonly use, EVE alerts to
eve.json, and the classification and reference files of the installed
Suricata. Rule tests use it rather than a sensor's file, so that their result
does not depend on capture settings; validation uses the sensor's file.
"""

from __future__ import annotations

from pathlib import Path

import yaml

SERVERS = ("HTTP_SERVERS", "SMTP_SERVERS", "SQL_SERVERS", "DNS_SERVERS", "TELNET_SERVERS", "AIM_SERVERS",
           "DC_SERVERS", "DNP3_SERVER", "DNP3_CLIENT", "MODBUS_CLIENT", "MODBUS_SERVER", "ENIP_CLIENT",
           "ENIP_SERVER")
PORTS = {"HTTP_PORTS": "80", "SHELLCODE_PORTS": "!80", "ORACLE_PORTS": "1521", "SSH_PORTS": "22",
         "DNP3_PORTS": "20000", "MODBUS_PORTS": "502", "FILE_DATA_PORTS": "[$HTTP_PORTS,110,143]",
         "FTP_PORTS": "21", "GENEVE_PORTS": "6081", "VXLAN_PORTS": "4789", "TEREDO_PORTS": "3544"}


def offline_yaml(home_net: str, config_dir: Path = Path("/etc/suricata")) -> str:
    document = {
        "vars": {"address-groups": {"HOME_NET": home_net, "EXTERNAL_NET": "!$HOME_NET",
                                    **{name: "$HOME_NET" for name in SERVERS}},
                 "port-groups": PORTS},
        "default-log-dir": "/tmp",
        "classification-file": str(config_dir / "classification.config"),
        "reference-config-file": str(config_dir / "reference.config"),
        "outputs": [{"eve-log": {"enabled": True, "filetype": "regular", "filename": "eve.json",
                                 "types": [{"alert": {"metadata": True}}]}}],
        "logging": {"default-log-level": "notice", "outputs": [{"console": {"enabled": True}}]},
        "app-layer": {"protocols": {name: {"enabled": True} for name in
                                    ("http", "tls", "ssh", "smtp", "dns", "ftp", "smb", "snmp")}},
        "stream": {"midstream": False, "reassembly": {"depth": "1mb"}},
        "unix-command": {"enabled": False},
        "stats": {"enabled": False},
    }
    return "%YAML 1.1\n---\n" + yaml.safe_dump(document, sort_keys=False)


def write_offline_yaml(path: Path, home_net: str) -> Path:
    path.write_text(offline_yaml(home_net), encoding="utf-8")
    return path
