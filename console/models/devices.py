"""Devices polled by the console's connectors (UPS units, the firewall, uplinks, server rooms) and their states.

A device that leaves ops.toml is marked not present, never deleted, so its
states stay readable. States are kept for [reports] retention_days, and the
newest state of every device is always kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.models.base import Base, UTCDateTime, utcnow


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # a kind of console.devices.kinds: ups, firewall, uplink, room
    connector: Mapped[str] = mapped_column(String(16))  # nut, snmp, sophos
    address: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    host_names: Mapped[list] = mapped_column(JSON, default=list)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=300)
    present: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class DeviceState(Base):
    """One poll of one device: 'ok' with the connector's fields, or 'unknown' with the reason."""

    __tablename__ = "device_states"
    __table_args__ = (Index("ix_device_states_device_collected", "device_id", "collected_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))  # ok, unknown
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    state: Mapped[dict] = mapped_column(JSON, default=dict)

    device: Mapped[Device] = relationship()
