"""[endpoints] in ops.toml: defaults, a literal password refused, references checked by `ops config check`."""

from __future__ import annotations

import pytest

from console.errors import ConfigError
from console.settings import check_secret_references, load_settings


def write(tmp_path, text: str):
    path = tmp_path / "ops.toml"
    path.write_text(text)
    return path


def test_no_endpoints_section_means_no_ksc(tmp_path):
    settings = load_settings(write(tmp_path, "[console]\nport = 8080\n"))
    assert not settings.endpoints.configured and settings.endpoints.bases_max_age_hours == 24


def test_a_literal_password_is_refused_without_showing_it(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, '[endpoints]\naddress = "ksc.example"\npassword = "Hunter2-secret"\n'))
    assert caught.value.key == "endpoints.password" and caught.value.line == 3
    assert "Hunter2-secret" not in str(caught.value)


def test_an_unknown_key_names_its_line(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, '[endpoints]\naddress = "ksc.example"\nstale_dayz = 3\n'))
    assert (caught.value.key, caught.value.line) == ("endpoints.stale_dayz", 3)


def test_config_check_resolves_the_password_reference_and_paths_are_resolved(tmp_path):
    settings = load_settings(write(tmp_path, '[endpoints]\naddress = "ksc.example"\npassword = "env:OPS_T_KSC"\n'
                                             'ca_file = "var/ksc.crt"\n'))
    assert settings.endpoints.ca_file == (tmp_path / "var" / "ksc.crt").resolve()
    with pytest.raises(ConfigError) as caught:
        check_secret_references(settings, environ={})
    assert (caught.value.key, caught.value.line) == ("endpoints.password", 3)
    check_secret_references(settings, environ={"OPS_T_KSC": "x"})
