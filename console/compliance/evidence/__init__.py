"""Evidence providers: one module per source, each answering per target with a snapshot or a reason.

Every provider returns `Evidence` values. `snapshot is None` means unknown,
and `reason` says why (no report yet, part not installed, device unreachable).
Parts built by other issues (devices, rules, alerts) are imported lazily: when
one is absent its controls report "unknown" and start working once it lands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["agent"]


@dataclass(frozen=True, slots=True)
class Evidence:
    snapshot: Any = None
    collected_at: datetime | None = None
    reason: str | None = None

    @classmethod
    def unknown(cls, reason: str) -> "Evidence":
        return cls(None, None, reason)


@dataclass(frozen=True, slots=True)
class Target:
    """A host from the inventory or a device read by a connector."""

    name: str
    kind: str  # host or device
    unit: str = ""
    groups: frozenset = frozenset()
    variables: dict = field(default_factory=dict)
    host_id: int | None = None
    device_kind: str | None = None  # ups or firewall
