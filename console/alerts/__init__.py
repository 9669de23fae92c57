"""IDS alerts: EVE parsing, storage, ingest (files, the follower, agent batches), the inbox, triage and health.

Modules, in the order data flows: `eve_parse` -> `store` -> `ingest`, `follow`,
`agent_batches` -> `query` (the inbox's one filter, `AlertFilter`), `enrich`,
`export` -> `triage`, `feedback` (the one door to the rule manager) -> `health`,
`retention`.

Other areas may call `query.get_alert / alert_summary`, `health.alert_pipeline_status`
and `agent_batches.ingest_batch`. The models in `console.models.alerts` are this area's own.
"""
