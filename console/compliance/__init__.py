"""Compliance: a catalog of controls (data), evidence providers, runs, waivers, history and reports.

Entry points (documented in docs/compliance.md): `catalog.load_catalog(folder=None)`; a run is
`runs.execute` (and its lock); the stored results are read through `history` (`list_runs`, `get_run`,
`latest_run`, `iter_results`, `results_page`, `diff_runs`, `trend`, `overview`). The information systems
themselves are an area below (console/systems); their assessment against the frameworks' requirements is
`system_assessment`, the evidence a person attaches `manual_evidence`.

`__all__` lists what other areas may use (each module's own `__all__` says which names);
docs/architecture.md's table shows it, generated from the code.
"""

__all__ = ["catalog", "engine", "evidence", "history", "requirements", "runs"]
