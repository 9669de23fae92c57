"""Known vulnerabilities per host: Debian's security tracker data matched against the agents' package lists.

tracker.py imports the tracker's JSON (one transaction, validated, idempotent);
matching.py decides, with Debian's version ordering, which entries affect an
installed source package; inventory.py keeps each host's package list and its
matches; queries.py serves the pages, the API and the CLI; waivers.py accepts
a CVE on a host until a date.
"""

__all__ = ["inventory", "queries"]  # what other areas call: agents (inventory.store), compliance (queries)
