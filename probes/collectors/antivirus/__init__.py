"""Antivirus status, one provider per product; one provider failing never hides another.

A provider has a `name` (the report's `provider`), `status()` returning one
entry of the report's `antivirus` list (probes.report.Antivirus) and
`installed()`, its best knowledge of whether the product is there, which
fills the error entry when `status()` raises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from probes.collectors.antivirus.clamav import ClamavProvider
from probes.collectors.antivirus.defender import DefenderProvider
from probes.collectors.antivirus.kesl import KeslProvider
from probes.collectors.antivirus.wsc import WscProvider

# providers_for's path keywords, per provider: keyword -> constructor parameter.
PATHS = {
    "clamav": {"clamd_socket": "socket_path", "socket_path": "socket_path", "freshclam_log": "freshclam_log",
               "clamd_binary": "clamd_binary", "scan_log": "scan_log", "proc": "proc"},
    "kesl": {"kesl_control": "kesl_control"},
}


class Provider(Protocol):
    name: str

    def status(self) -> dict:
        """This product's entry of the report's antivirus list."""

    def installed(self) -> bool:
        """Best knowledge whether the product is installed; cheap and never raising."""


class AntivirusCollector:
    name = "antivirus"

    def __init__(self, providers: list[Provider]) -> None:
        self.providers = providers

    def collect(self) -> list[dict]:
        return [self._one(provider) for provider in self.providers]

    @staticmethod
    def _one(provider: Provider) -> dict:
        try:
            return provider.status()
        except Exception as exc:  # one broken provider must never hide the others
            return error_entry(provider, exc)


def error_entry(provider: Provider, exc: Exception) -> dict:
    """The entry of a provider that could not be read: what is known, and why the rest is not."""
    try:
        installed = bool(provider.installed())
    except Exception:  # best knowledge only; the error below is what matters
        installed = False
    return {"provider": provider.name, "installed": installed, "error": f"{type(exc).__name__}: {exc}"[:300]}


def providers_for(name: str, **paths: Path | str) -> list[Provider]:
    """The providers for the inventory's ops_antivirus_provider.

    "defender" asks Defender and Security Center (which shows a third-party
    product that replaced Defender); "wsc" asks Security Center alone, for
    hosts whose antivirus is a third-party product; "none" asks nothing.
    `paths` (e.g. clamd_socket=...) go to the providers that use them and are
    ignored by the others, so the agent can pass all it knows.
    """
    unknown = set(paths) - {key for keys in PATHS.values() for key in keys}
    if unknown:
        raise TypeError(f"providers_for: unknown path keyword(s) {sorted(unknown)}")
    if name == "clamav":
        return [ClamavProvider(**_paths_for("clamav", paths))]
    if name == "kesl":
        return [KeslProvider(**_paths_for("kesl", paths))]
    if name == "defender":
        return [DefenderProvider(), WscProvider()]
    if name == "wsc":
        return [WscProvider()]
    if name == "none":
        return []
    raise ValueError(f"unknown antivirus provider {name!r} (expected clamav, kesl, defender, wsc or none)")


def _paths_for(provider: str, paths: dict) -> dict:
    return {PATHS[provider][key]: value for key, value in paths.items() if key in PATHS[provider]}
