"""ops.toml: defaults, validation errors that name key and line, secrets from the environment."""

from __future__ import annotations

import pytest

from console.errors import ConfigError
from console.settings import load_settings


def write(tmp_path, text: str):
    path = tmp_path / "ops.toml"
    path.write_text(text)
    return path


def test_shipped_ops_toml_is_valid_and_every_key_is_commented():
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "ops.toml"
    settings = load_settings(path)
    assert settings.console.port == 8080
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            above = [entry for entry in lines[max(0, number - 4):number] if entry.startswith("#")]
            assert above, f"ops.toml line {number + 1} ({line}) has no comment above it"


def test_missing_default_file_gives_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPS_CONFIG", raising=False)
    settings = load_settings(environ={})
    assert settings.console.default_locale == "vi"
    assert settings.console.timezone == "Asia/Ho_Chi_Minh"
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'ops.db'}"


def test_wrong_type_names_key_and_line(tmp_path):
    path = write(tmp_path, '[console]\nhost = "0.0.0.0"\nport = "eighty"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.key == "console.port"
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{path}:3: console.port:")


def test_unknown_key_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, "[security]\nlogin_max_failure = 3\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.key == "security.login_max_failure"
    assert caught.value.line == 2
    assert "unknown key" in str(caught.value)


def test_toml_syntax_error_names_line(tmp_path):
    path = write(tmp_path, "[console]\nport = 80\nhost = \n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.line == 3
    assert "not valid TOML" in str(caught.value)


def test_out_of_range_and_unknown_zone_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="console.port"):
        load_settings(write(tmp_path, "[console]\nport = 70000\n"), environ={})
    with pytest.raises(ConfigError, match="unknown time zone"):
        load_settings(write(tmp_path, '[console]\ntimezone = "Mars/Olympus"\n'), environ={})


def test_secrets_come_from_environment_and_are_never_printed(tmp_path):
    path = write(tmp_path, '[database]\nurl = "sqlite:///x.db"\n')
    settings = load_settings(path, environ={"OPS_SECRET_KEY": "s3cr3t-value",
                                            "OPS_DATABASE_URL": "postgresql+psycopg://u:pw-value@h/db"})
    assert settings.secret_key == "s3cr3t-value"
    assert settings.database_url == "postgresql+psycopg://u:pw-value@h/db"
    shown = repr(settings) + str(settings.model_dump(mode="json"))
    assert "s3cr3t-value" not in shown and "pw-value" not in shown


def test_bad_database_url_does_not_echo_it(tmp_path):
    path = write(tmp_path, '[database]\nurl = "mysql://root:hunter2@db/ops"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert "hunter2" not in str(caught.value)
    assert caught.value.line == 2


def test_agent_section_is_checked_by_the_console_and_by_the_agent_alone(tmp_path):
    from probes.config import AgentConfigError, load_agent_settings

    good = write(tmp_path, '[agent]\ninterval_seconds = 30\nstate_dir = "agentstate"\nups = ["ups1@198.18.0.5"]\n')
    assert load_settings(good, environ={}).agent.interval_seconds == 30
    assert load_agent_settings(good).state_dir == tmp_path / "agentstate"
    for text, message in (("interval_seconds = 2", "interval_seconds must be between 5"),
                          ('interval_seconds = "60"', "interval_seconds"),
                          ("intervall_seconds = 60", "intervall_seconds")):
        bad = write(tmp_path, f"[agent]\n{text}\n")
        with pytest.raises(ConfigError, match="agent"):
            load_settings(bad, environ={})
        with pytest.raises(AgentConfigError, match=message):
            load_agent_settings(bad)


def test_agent_process_does_not_load_pydantic_or_the_console():
    import subprocess
    import sys

    code = "import sys, probes.cli, probes.agent; print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'console', 'flask', 'sqlalchemy')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
