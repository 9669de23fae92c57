"""The agent's one exception base: every error the probes package raises derives from it.

`ops agent` (probes/cli.py) catches ProbeError once and prints its message;
callers that care about one kind catch the subclass (AgentError,
AgentConfigError, TransportError, CollectorFailed...). Like the rest of
probes/, this never imports the console package.
"""

from __future__ import annotations


class ProbeError(Exception):
    """Base of every error the host agent raises; the message says what to fix."""
