"""The host agents: enrolment and credentials (`enrolment`), and the signed reports they send (`host_reports`).

Other areas may call `enrolment.authenticate / list_agents / agent_as_dict` and
`host_reports.latest_report / latest_reports / condition / conditions / history`, and
`hardening.evidence / latest_run / index_trend / findings / estate_findings / security_updates / waive /
revoke_waiver` (Lynis runs, findings and their waivers, pending security updates).
The models in `console.models.agents` are this area's own.
"""

__all__ = ["enrolment", "hardening", "host_reports"]
