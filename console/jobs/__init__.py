"""Playbook runs: targets, secrets, the ansible-runner call, event recording and the worker.

The public entry points are in `console.services.jobs`; these modules are its parts.
"""
