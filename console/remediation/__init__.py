"""Remediation: from a failing control to an Ansible fix and back to a verified result.

`service` carries a finding (one control failing on some hosts in a
compliance run) through a check-mode job, the approval a critical control
needs from a second person, the apply job, and a new evaluation of that
control on those hosts once their agents have reported after the job.
"""

__all__: list[str] = []  # no other area calls this one
