"""Playbook runs: targets, secrets, the ansible-runner call, event recording and the worker.

The public entry points are in `console.jobs.service`; these modules are its parts.
"""

__all__ = ["service", "targets"]
