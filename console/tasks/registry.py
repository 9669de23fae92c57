"""The kinds of background task, registered by the areas that own them.

An area (compliance, devices, ruleset, alerts) registers each kind of work it
runs in the background, with the permission that starts it and the function a
consumer calls (`register`). The task queue knows no area: it looks the kind
up here. console/wiring.py imports every area's registrations once, for the
web app, the CLI and the task worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Kind", "KINDS", "register", "kind_of"]

# runner(settings, session_factory, actor, params, progress) -> result dict; a "failure" key fails the task
Runner = Callable[..., dict]


@dataclass(frozen=True)
class Kind:
    name: str
    permission: str
    description: str
    runner: Runner


KINDS: dict[str, Kind] = {}


def register(name: str, permission: str, description: str, runner: Runner) -> Kind:
    """Make `name` a kind of task: started by holders of `permission`, run by `runner` in the worker."""
    found = KINDS.get(name)
    if found is not None and found.runner is not runner:
        raise ValueError(f"task kind {name!r} is already registered by {found.runner.__module__}")
    KINDS[name] = kind = Kind(name, permission, description, runner)
    return kind


def kind_of(name: str) -> Kind | None:
    return KINDS.get(name)
