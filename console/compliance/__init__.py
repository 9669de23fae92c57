"""Compliance: a catalog of controls (data), evidence providers, runs, waivers, history and reports.

Public entry points other parts may rely on (documented in docs/compliance.md):
`catalog.load_catalog(folder=None)` and the run results API in
`console.compliance.runs` (`execute`, `list_runs`, `get_run`,
`iter_results`, `diff_runs`, `trend`).
"""
