"""Devices that run no agent (UPS units, firewalls, uplinks, server rooms): their configuration, polling and state.

Each kind is one module of `kinds/` (its keys, reading, events, summary and Overview line); `connectors/`
speak the protocols (NUT, SNMP, Sophos XML API).

Other areas may call `service.latest_states`, `service.configured_states`,
`service.poll_due`, `service.evidence_as_dict`, `service.overview` and `service.summary`. The models in
`console.models.devices` are this area's own.
"""

__all__ = ["service"]
