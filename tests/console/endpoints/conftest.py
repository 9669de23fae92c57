"""The KSC replay double (tests/fixtures/ksc_replay.py) and settings pointing at it."""

from __future__ import annotations

import pytest

from console.endpoints.config import EndpointsSettings
from tests.fixtures.ksc_replay import PASSWORD, ksc_replay  # noqa: F401  (the fixture)
from console.lab.ksc import USERNAME


@pytest.fixture(autouse=True)
def ksc_password(monkeypatch):
    monkeypatch.setenv("TEST_KSC_PASSWORD", PASSWORD)


def ksc_config(replay, **changes) -> EndpointsSettings:
    values = {"address": "127.0.0.1", "port": replay.port, "username": USERNAME, "password": "env:TEST_KSC_PASSWORD",
              "pin_sha256": replay.pin, "timeout_seconds": 2, "chunk_size": 5,
              "groups": {"IT Centre": "unit_it_centre", "Department Office": "unit_department_office"}}
    return EndpointsSettings(**{**values, **changes})


@pytest.fixture
def ksc_settings(settings, ksc_replay):
    return settings.model_copy(update={"endpoints": ksc_config(ksc_replay)})
