"""What the ops_console role writes, checked by the programs that read it: systemd-analyze and nginx -t.

The lab (test_console_role.py) has no systemd and runs one console node; here
the role's unit and nginx templates are rendered as the role renders them for
a real server and for the scale-out shape (nginx in front of two nodes), with
the role's own make-tls.sh making the certificate nginx loads.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "playbooks/roles/ops_console"
SERVICES = [{"name": "ops-console", "command": "console serve", "description": "Ops Console web console (gunicorn)"},
            {"name": "ops-tasks", "command": "tasks worker", "description": "Ops Console task worker"},
            {"name": "ops-scheduler", "command": "scheduler run", "description": "Ops Console scheduler"}]


def render(name: str, **variables) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROLE / "templates"), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True)
    return env.get_template(name).render(ansible_managed="Ansible managed", **variables)


def test_the_console_units_pass_systemd_analyze_verify_and_are_hardened(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    for service in SERVICES:
        unit = tmp_path / f"{service['name']}.service"
        # The venv of this checkout stands in for /opt/ops-console/venv: systemd-analyze checks ExecStart exists.
        unit.write_text(render("ops-service.j2", item=service, ops_console_user="root",
                               ops_console_venv=str(Path(sys.executable).parent.parent),
                               ops_console_config="/etc/ops-console/ops.toml", ops_console_var_dir=str(var_dir)))
        result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
        complaints = [line for line in (result.stdout + result.stderr).splitlines() if unit.name in line]
        assert result.returncode == 0 and not complaints, result.stdout + result.stderr
        text = unit.read_text()
        for setting in ("ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectHome=yes",
                        f"ReadWritePaths={var_dir}", "User=root"):
            assert setting in text.splitlines(), setting


def test_a_mistyped_hardening_setting_is_what_the_check_above_would_catch(tmp_path):
    unit = tmp_path / "broken.service"
    unit.write_text("[Service]\nExecStart=/bin/true\nProtectSystem=strictly\n")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert "broken.service" in result.stdout + result.stderr


@pytest.mark.parametrize("upstreams", [[], ["198.18.10.81:8080", "198.18.10.82:8080"]], ids=["one-host", "scale-out"])
def test_nginx_accepts_the_site_with_the_generated_certificate(tmp_path, upstreams):
    tls = tmp_path / "tls"
    subprocess.run(["sh", str(ROLE / "files/make-tls.sh"), str(tls), "825", "198.18.10.81",
                    "DNS:dtnmt-mon-01,IP:198.18.10.81"], check=True, timeout=60)
    for name, mode in (("ca.key", 0o600), ("server.key", 0o600), ("ca.pem", 0o644), ("server.pem", 0o644)):
        assert (tls / name).stat().st_mode & 0o777 == mode, name
    verify = subprocess.run(["openssl", "verify", "-CAfile", str(tls / "ca.pem"), str(tls / "server.pem")],
                            capture_output=True, text=True, timeout=30)
    assert verify.returncode == 0, verify.stderr
    names = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", str(tls / "server.pem")],
                           capture_output=True, text=True, timeout=30).stdout
    assert "IP Address:198.18.10.81" in names and "DNS:dtnmt-mon-01" in names

    nginx_dir, log_dir, run_dir, var_dir = (tmp_path / name for name in ("nginx", "log", "run", "var"))
    for folder in (nginx_dir / "sites-enabled", log_dir, run_dir, var_dir / "nginx"):
        folder.mkdir(parents=True)
    variables = dict(ops_console_listen_addresses=["127.0.0.1"], ops_console_tls_dir=str(tls),
                     ops_console_tls_certificate="", ops_console_upstreams=upstreams,
                     ops_console_listen_host="127.0.0.1", ops_console_port=8080,
                     ops_console_server_name="198.18.10.81", ops_console_max_body="16m")
    site = render("nginx-site.conf.j2", **variables)
    (nginx_dir / "sites-enabled/ops-console.conf").write_text(site)
    (nginx_dir / "nginx.conf").write_text(render(
        "nginx-process.conf.j2", ops_console_user="root", ops_console_run_dir=str(run_dir),
        ops_console_log_dir=str(log_dir), ops_console_var_dir=str(var_dir), ops_console_nginx_dir=str(nginx_dir)))

    result = subprocess.run(["/usr/sbin/nginx", "-t", "-c", str(nginx_dir / "nginx.conf"), "-e",
                             str(log_dir / "error.log")], capture_output=True, text=True, timeout=30)

    assert result.returncode == 0, result.stderr
    servers = [line.split()[1] for line in site.splitlines() if line.strip().startswith("server ") and ":" in line]
    assert servers == (upstreams or ["127.0.0.1:8080"])
    assert "return 301 https://$host$request_uri;" in site


def test_the_scale_out_example_runs_the_scheduler_on_exactly_one_console_node():
    example = yaml.safe_load((ROOT / "docs/examples/console-scale-out.yml").read_text())
    hosts = example["all"]["children"]["ops_console"]["hosts"]
    nodes = {name: h for name, h in hosts.items() if "console" in h["ops_console_components"]}
    assert len(nodes) == 2
    assert [name for name, h in nodes.items() if h["ops_console_scheduler"]] == ["dtnmt-mon-01"]
    proxy = [h for h in hosts.values() if "proxy" in h["ops_console_components"]]
    assert len(proxy) == 1
    assert sorted(proxy[0]["ops_console_upstreams"]) == sorted(f"{h['ansible_host']}:8080" for h in nodes.values())
    database = [h for h in hosts.values() if h["ops_console_components"] == ["postgresql"]]
    assert len(database) == 1
    assert sorted(database[0]["ops_console_db_clients"]) == sorted(f"{h['ansible_host']}/32" for h in nodes.values())
