"""Endpoints the agent cannot reach: the hosts Kaspersky Security Center manages (workstations too) and coverage.

Modules: `config` ([endpoints] of ops.toml), `ksc` (the KSC Open API connector),
`service` (sync, listing, history), `coverage` (inventory x KSC x what the IDS saw).

Other areas may call `service.sync/sync_due/list_endpoints/get_endpoint/history/last_sync/endpoint_as_dict`
and `coverage.coverage/overview/unmanaged/refresh_seen`. The models in `console.models.endpoints` are this
area's own.
"""

__all__ = ["coverage", "service"]
