"""No ruleset build inside a request: "Build and validate" is a task, and the pages answer while it runs.

The test's Suricata is the real one behind a gate (a wrapper that waits for a file before it execs
/usr/bin/suricata -T), so the build is held running for as long as the test needs: the page that queued it
answered already, the task page and the Rules page answer within 1 s, and once the gate opens the build
ends, validated, and the task page shows the version.
"""

from __future__ import annotations

import time

import pytest

from console.models import TaskState
from tests.console.ruleset.test_console import post_form
from tests.console.tasks.fixtures import task_id_of, task_worker, wait_task  # noqa: F401  (task_worker: fixture)


@pytest.fixture
def gate(tmp_path):
    return tmp_path / "gate-open"


@pytest.fixture
def settings(config_file, rules_config, gate, tmp_path):
    from console.settings import load_settings

    wrapper = tmp_path / "suricata-behind-a-gate"
    # bounded: at most 60 s of waiting, then Suricata runs anyway
    wrapper.write_text(f"#!/bin/sh\nfor i in $(seq 600); do [ -e '{gate}' ] && break; sleep 0.1; done\n"
                       'exec /usr/bin/suricata "$@"\n')
    wrapper.chmod(0o755)
    return load_settings(config_file).model_copy(update={"rules": rules_config.model_copy(
        update={"suricata": wrapper})})


def test_the_build_runs_as_a_task_while_the_pages_answer_within_a_second(logged_in, session_factory, gate,
                                                                         task_worker):  # noqa: F811
    client = logged_in("security_officer")
    started = time.monotonic()
    response = post_form(client, "/rules/", "/rules/build", {"reason": "held at the gate"})
    assert time.monotonic() - started < 1.0
    task_id = task_id_of(response.headers["Location"])
    running = wait_task(session_factory, task_id, timeout=30, until=lambda t: t.state == TaskState.running)
    assert running.kind == "rules.build"
    for url in (response.headers["Location"], f"/tasks/{task_id}/status", "/rules/"):
        started = time.monotonic()
        page = client.get(url)
        assert page.status_code == 200 and time.monotonic() - started < 1.0, url
    status = client.get(f"/tasks/{task_id}/status").get_data(as_text=True)
    assert 'data-state="running"' in status and "hx-get" in status  # the page keeps following the build
    assert "building and validating with suricata -T" in status
    gate.touch()
    done = wait_task(session_factory, task_id, timeout=60)
    assert done.state == TaskState.done, done.error
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Version 1 built, validated and active." in shown and 'data-state="done"' in shown
