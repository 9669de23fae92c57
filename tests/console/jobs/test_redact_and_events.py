"""The pure parts: redaction of secret values in every form Ansible prints them, and event outcomes."""

from __future__ import annotations

from console.jobs.events import RunTally, event_row, tally
from console.jobs.redact import REDACTED, Redactor, bounded, looks_secret


def test_redactor_replaces_raw_json_escaped_and_key_line_forms():
    key = "-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQAB\nshort\n-----END KEY-----"
    redactor = Redactor.for_secrets(['pa"ss\\word', key, ""])
    assert redactor.text('{"msg": "pa\\"ss\\\\word"}') == f'{{"msg": "{REDACTED}"}}'
    assert redactor.text("got pa\"ss\\word") == f"got {REDACTED}"
    assert redactor.text("line AAAAB3NzaC1yc2EAAAADAQAB seen") == f"line {REDACTED} seen"
    assert redactor.text("short stays") == "short stays"  # too common alone to redact
    assert redactor.data({"k": ['pa"ss\\word', 3]}) == {"k": [REDACTED, 3]}


def test_bounded_text_says_how_much_was_cut():
    assert bounded("abc", 5) == "abc"
    assert bounded("x" * 10, 4) == "xxxx\n… [6 more characters not kept]"


def test_names_that_look_secret():
    assert all(looks_secret(n) for n in ("ansible_become_password", "enrolment_token", "vault_pass", "api_key", "key"))
    assert not any(looks_secret(n) for n in ("colour", "ntp_servers", "keyboard_layout"))


def test_ignored_failure_does_not_count_as_a_failed_host():
    event = {"counter": 5, "event": "runner_on_failed", "stdout": "fatal: [a]: FAILED! => ...ignoring",
             "event_data": {"host": "a", "task": "Try", "ignore_errors": True, "res": {"msg": "nope"}}}
    run = RunTally()
    tally(run, event, Redactor())
    assert event_row(event, Redactor(), 100).outcome == "ignored"
    assert run.hosts["a"].failed == 0 and run.hosts["a"].last_error == ""
