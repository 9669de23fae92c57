"""Endpoints from Kaspersky Security Center, their history, and the internal addresses the IDS has seen.

An endpoint KSC no longer reports is marked not present, never deleted, so
its history stays readable. An observation is written when an endpoint's
protection state changes (and at its first sync), so history grows with
changes, not with syncs. Every sync attempt is one `EndpointSync` row; a
failed one changes no endpoint. `SeenAddress` keeps the first and last time
an internal address appeared in the IDS's flow and DHCP events, beyond the
retention of the events themselves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.models.base import Base, UTCDateTime, utcnow


class Endpoint(Base):
    __tablename__ = "endpoints"
    __table_args__ = (Index("ix_endpoints_unit_state", "unit", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ksc_id: Mapped[str] = mapped_column(String(64), unique=True)  # KLHST_WKS_HOSTNAME
    name: Mapped[str] = mapped_column(String(255), index=True)  # KLHST_WKS_DN
    fqdn: Mapped[str] = mapped_column(String(255), default="")
    address: Mapped[str] = mapped_column(String(45), default="", index=True)
    ksc_group: Mapped[str] = mapped_column(String(255), default="")
    unit: Mapped[str] = mapped_column(String(64), default="")
    host_name: Mapped[str | None] = mapped_column(String(255), default=None)  # the inventory host it is
    os_name: Mapped[str] = mapped_column(String(255), default="")
    nag_version: Mapped[str] = mapped_column(String(64), default="")
    av_version: Mapped[str] = mapped_column(String(64), default="")
    rtp_state: Mapped[int | None] = mapped_column(Integer, default=None)
    bases_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_visible_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    status_id: Mapped[int | None] = mapped_column(Integer, default=None)
    status_mask: Mapped[int | None] = mapped_column(BigInteger, default=None)
    state: Mapped[str] = mapped_column(String(16), default="ok")  # ok, protection_off, bases_old, not_seen
    present: Mapped[bool] = mapped_column(default=True)
    first_synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EndpointObservation(Base):
    """One endpoint's protection as a sync found it, when it differed from the observation before."""

    __tablename__ = "endpoint_observations"
    __table_args__ = (Index("ix_endpoint_observations_endpoint_observed", "endpoint_id", "observed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16))
    rtp_state: Mapped[int | None] = mapped_column(Integer, default=None)
    bases_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_visible_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    status_id: Mapped[int | None] = mapped_column(Integer, default=None)
    status_mask: Mapped[int | None] = mapped_column(BigInteger, default=None)
    av_version: Mapped[str] = mapped_column(String(64), default="")

    endpoint: Mapped[Endpoint] = relationship()


class EndpointSync(Base):
    """One attempt to read KSC: 'ok' with how many hosts, or 'failed' with the reason (nothing changed then)."""

    __tablename__ = "endpoint_syncs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))  # ok, failed
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    host_count: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(String(64), default="")


class SeenAddress(Base):
    """An internal address seen in the IDS's flow or DHCP events: first and last time, where, and how."""

    __tablename__ = "seen_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(45), unique=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sensor: Mapped[str] = mapped_column(String(255), default="")
    event_type: Mapped[str] = mapped_column(String(32), default="")


class AddressFeedMark(Base):
    """How far the addresses-seen feed has read the IDS's context events (their id), one row per feed."""

    __tablename__ = "address_feed_marks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
