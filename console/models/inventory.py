"""The asset list: hosts and groups synced from the Ansible inventory.

A host that leaves the inventory is marked retired, never deleted, so its
history (reports, alerts, compliance results) keeps pointing at it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Column, Enum, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.models.base import Base, UTCDateTime, utcnow


class HostStatus(str, enum.Enum):
    active = "active"
    retired = "retired"


host_groups = Table(
    "host_groups",
    Base.metadata,
    Column("host_id", ForeignKey("hosts.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("inventory_groups.id", ondelete="CASCADE"), primary_key=True),
)


class InventoryGroup(Base):
    __tablename__ = "inventory_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    parent_names: Mapped[list] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(16), default="group")  # unit, role or group
    variables: Mapped[dict] = mapped_column(JSON, default=dict)
    present: Mapped[bool] = mapped_column(default=True)

    hosts: Mapped[list["Host"]] = relationship(secondary=host_groups, back_populates="groups")


class Host(Base):
    __tablename__ = "hosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    address: Mapped[str] = mapped_column(String(255), default="")
    unit: Mapped[str] = mapped_column(String(128), default="")
    roles: Mapped[list] = mapped_column(JSON, default=list)
    variables: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[HostStatus] = mapped_column(
        Enum(HostStatus, name="host_status", native_enum=False, length=16), default=HostStatus.active
    )
    first_synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    groups: Mapped[list[InventoryGroup]] = relationship(secondary=host_groups, back_populates="hosts")
