"""All models, imported here so that Alembic and the app see one metadata."""

from console.models.agents import Agent, EnrollmentToken, HostReport
from console.models.alerts import (Alert, AlertComment, AlertGroup, AlertStatus, ContextEvent, EventCounter,
                                   IngestCheckpoint, IngestProblem)
from console.models.audit import AuditEvent
from console.models.availability import (AvailabilityCheckState, AvailabilityHourly, AvailabilityOutage,
                                         AvailabilityResult, AvailabilityServiceState)
from console.models.compliance import ComplianceLock, ComplianceResult, ComplianceRun, ComplianceWaiver
from console.models.base import Base
from console.models.devices import Device, DeviceState
from console.models.endpoints import AddressFeedMark, Endpoint, EndpointObservation, EndpointSync, SeenAddress
from console.models.incidents import Incident
from console.models.inventory import Host, HostStatus, InventoryGroup, host_groups
from console.models.jobs import Job, JobEvent, JobHostLock, JobHostResult, JobState
from console.models.remediation import Remediation, RemediationState
from console.models.systems import InformationSystem, ManualEvidence, SystemAssessment
from console.models.notify import NotifyCondition, NotifyDelivery
from console.models.tasks import Task, TaskState
from console.models.rules import RuleDeployApproval, RuleDeployment, RulesetChange, RulesetVersion, RuleTestRun
from console.models.users import ApiToken, LoginSession, Role, User
from console.models.vulns import HostPackages, HostVuln, VulnCve, VulnDay, VulnImport, VulnSource, VulnWaiver

__all__ = ["AddressFeedMark", "Endpoint", "EndpointObservation", "EndpointSync", "SeenAddress", "Agent", "Alert", "AlertComment", "AlertGroup", "AlertStatus", "ApiToken", "AuditEvent", "AvailabilityCheckState",
           "AvailabilityHourly", "AvailabilityOutage", "AvailabilityResult", "AvailabilityServiceState", "Base",
           "ComplianceLock", "ComplianceResult", "ComplianceRun", "ComplianceWaiver", "ContextEvent", "Device",
           "DeviceState", "EnrollmentToken", "EventCounter", "Host", "HostReport", "HostStatus", "IngestCheckpoint",
           "Incident", "Remediation", "RemediationState", "IngestProblem", "InformationSystem", "InventoryGroup", "Job", "JobEvent", "JobHostLock",
           "JobHostResult", "JobState", "LoginSession", "ManualEvidence", "Role", "RuleDeployApproval", "RuleDeployment", "RuleTestRun", "RulesetChange",
           "RulesetVersion", "SystemAssessment", "Task", "TaskState", "User", "host_groups",
           "HostPackages", "HostVuln", "VulnCve", "VulnDay", "VulnImport", "VulnSource", "VulnWaiver"]
