"""Antivirus status, one provider per product; one provider failing never hides another."""

from __future__ import annotations

from pathlib import Path

from probes.collectors import CollectorFailed
from probes.collectors.antivirus.clamav import ClamavProvider
from probes.collectors.antivirus.kesl import KeslProvider
from probes.collectors.antivirus.windows import DefenderProvider, WscProvider


class AntivirusCollector:
    name = "antivirus"

    def __init__(self, providers: list):
        self.providers = providers

    def collect(self) -> list[dict]:
        return [self._one(provider) for provider in self.providers]

    @staticmethod
    def _one(provider) -> dict:
        try:
            return provider.status()
        except (CollectorFailed, OSError, ValueError) as exc:
            return {"provider": provider.name, "installed": True, "error": f"{type(exc).__name__}: {exc}"[:300]}


def providers_for(name: str, clamd_socket: Path = Path("/run/clamav/clamd.ctl")) -> list:
    """The providers for the inventory's ops_antivirus_provider; Windows hosts ask both Defender and WSC."""
    if name == "clamav":
        return [ClamavProvider(socket_path=clamd_socket)]
    if name == "kesl":
        return [KeslProvider()]
    if name in ("defender", "wsc"):
        return [DefenderProvider(), WscProvider()]
    return []
