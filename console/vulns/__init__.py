"""Known vulnerabilities per host: Debian's security tracker data matched against the agents' package lists.

tracker.py imports the tracker's JSON (one transaction, validated, idempotent);
matching.py decides, with Debian's version ordering, which entries affect an
installed source package; inventory.py keeps each host's package list and its
matches; queries.py serves the pages, the API and the CLI, and keeps the
estate's figures per day for the reports' trend; waivers.py accepts a CVE on a
host until a date; fixes.py says what a CVE's Fix with Ansible upgrades and
judges its verification.
"""

# What other areas call: agents (inventory.store), compliance (queries), remediation (fixes).
__all__ = ["fixes", "inventory", "queries"]
