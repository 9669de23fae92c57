"""All models, imported here so that Alembic and the app see one metadata."""

from console.models.agents import Agent, EnrollmentToken, HostReport
from console.models.audit import AuditEvent
from console.models.compliance import ComplianceLock, ComplianceResult, ComplianceRun, ComplianceWaiver
from console.models.base import Base
from console.models.inventory import Host, HostStatus, InventoryGroup, host_groups
from console.models.users import ApiToken, Role, User

__all__ = ["Agent", "EnrollmentToken", "HostReport", "ApiToken", "AuditEvent", "ComplianceLock", "ComplianceResult", "ComplianceRun", "ComplianceWaiver", "Base", "Host", "HostStatus", "InventoryGroup", "Role", "User", "host_groups"]
