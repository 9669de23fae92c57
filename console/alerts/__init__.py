"""IDS alerts: EVE parsing, storage, ingest (files, the follower, agent batches), the inbox, triage and health.

Modules, in the order data flows: `eve_parse` -> `store` -> `ingest`, `follow`,
`agent_batches` -> `query` (the inbox's one filter, `AlertFilter`), `enrich`,
`export` -> `triage`, `feedback` (the one door to the rule manager) -> `health`,
`retention`.

Other areas may use what `__all__` lists (each module's own `__all__` says which names):
`query.get_alert`, `health.alert_pipeline_status`, `store.addresses_seen`; the web layers also call
`agent_batches.ingest_agent_batch` (an agent's EVE batch). The models in `console.models.alerts` are this
area's own.
"""

__all__ = ["health", "query", "store"]
