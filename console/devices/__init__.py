"""Devices that run no agent (UPS units, firewalls): their configuration, polling and state, read by `connectors/`.

Other areas may call `service.latest_states`, `service.configured_states`,
`service.poll_due` and `service.evidence_as_dict`. The models in
`console.models.devices` are this area's own.
"""
