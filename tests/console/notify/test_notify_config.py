"""`ops config check` on [notify]: an unknown event kind, a channel missing a key, an unreadable secret reference or a
rule naming no channel is refused with the table, key and line, exit 2; a literal secret is refused without echoing it."""

from __future__ import annotations

import pytest

from tests.console.cli.test_cli import ops

GOOD_CHANNEL = """
[[notify.channels]]
name = "duty-mail"
kind = "email"
host = "smtp.example.test"
username = "ops"
password = "file:{secret}"
sender = "ops@example.test"
recipients = ["duty@example.test"]
"""


def write(tmp_path, text: str):
    path = tmp_path / "ops.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/ops.db"\n' + text)
    return path


@pytest.mark.parametrize("addition, where, message", [
    ('[[notify.rules]]\nname = "r"\nevents = ["ups.on_fire"]\nchannels = ["duty-mail"]\n',
     "notify.rules[0].events", "unknown event kind 'ups.on_fire'"),
    ('[[notify.rules]]\nname = "r"\nevents = ["ups.on_battery"]\nchannels = ["pager"]\n',
     "notify.rules[0].channels", "no channel named 'pager'"),
    ('[[notify.channels]]\nname = "hook"\nkind = "webhook"\n',
     "notify.channels[1]", "a webhook channel needs url"),
    ('[[notify.channels]]\nname = "siem"\nkind = "syslog"\nhost = "198.18.0.5"\ntransport = "sctp"\n',
     "notify.channels[1].transport", "Input should be 'udp', 'tcp' or 'tls'"),
    ('[[notify.channels]]\nname = "hook"\nkind = "webhook"\nurl = "https://ops:pw@hooks.example.test/x"\n',
     "notify.channels[1]", "url must not hold a user or password"),
    ('[[notify.channels]]\nname = "m2"\nkind = "email"\nhost = "h"\nsecurity = "none"\nusername = "u"\n'
     'password = "env:X"\nsender = "a@b.c"\nrecipients = ["d@e.f"]\n',
     "notify.channels[1]", "the password would cross the network in clear"),
])
def test_bad_notify_tables_name_table_key_and_line(tmp_path, addition, where, message):
    secret = tmp_path / "smtp-password"
    secret.write_text("pw\n")
    path = write(tmp_path, GOOD_CHANNEL.format(secret=secret) + addition)
    result = ops("config", "check", config=path)
    assert result.returncode == 2, result.stdout
    line = result.stderr.strip()
    assert f"{path}:" in line and where in line and message in line, line
    number = int(line.split(f"{path}:")[1].split(":")[0])
    assert number > GOOD_CHANNEL.count("\n")  # the line of the bad table, not of the file's start


def test_an_unreadable_secret_reference_is_named_exit_2(tmp_path):
    path = write(tmp_path, GOOD_CHANNEL.format(secret=tmp_path / "missing"))
    result = ops("config", "check", config=path)
    assert result.returncode == 2
    assert f"{path}:9: notify.channels[0].password: credential file:{tmp_path / 'missing'} cannot be read" \
        in result.stderr


def test_a_literal_secret_is_refused_and_never_echoed(tmp_path):
    path = write(tmp_path, GOOD_CHANNEL.replace('password = "file:{secret}"', 'password = "hunter2-literal"'))
    result = ops("config", "check", config=path)
    assert result.returncode == 2
    assert "notify.channels[0].password" in result.stderr and "must be a reference" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_a_good_notify_section_checks_ok(tmp_path):
    secret = tmp_path / "smtp-password"
    secret.write_text("pw\n")
    path = write(tmp_path, GOOD_CHANNEL.format(secret=secret)
                 + '[[notify.rules]]\nname = "r"\nevents = ["*"]\nchannels = ["duty-mail"]\n')
    result = ops("config", "check", config=path)
    assert result.returncode == 0 and result.stdout.strip() == f"{path}: ok"


def test_the_shipped_ops_toml_and_its_commented_channels_are_valid(tmp_path):
    """The demo's channel and rules in ops.toml load, and so do the commented webhook and syslog examples."""
    import itertools
    import re

    from console.settings import load_settings
    from tests.console.cli.test_cli import REPO

    shipped = load_settings(REPO / "ops.toml")
    assert [c.name for c in shipped.notify.channels] == ["demo-mailbox"]
    assert {r.name for r in shipped.notify.rules} == {"duty-officer", "ids-alerts"}
    text = (REPO / "ops.toml").read_text()
    start = text.index("# [[notify.channels]]")
    lines = itertools.takewhile(lambda line: line.startswith("#"), text[start:].splitlines())
    block = "\n".join(re.sub(r"^# ?", "", line) for line in lines)
    examples = load_settings(write(tmp_path, block))
    assert [(c.name, c.kind, c.effective_port) for c in examples.notify.channels] == [
        ("chat-bridge", "webhook", 0), ("siem", "syslog", 6514)]


def test_the_shipped_ops_toml_tells_someone_of_every_event_the_console_raises():
    """A department that keeps the shipped rules hears of a service down, an uplink down or a hot server room."""
    from console.notify.kinds import KINDS
    from console.settings import load_settings
    from tests.console.cli.test_cli import REPO

    routed = {kind for rule in load_settings(REPO / "ops.toml").notify.rules for kind in rule.events}
    assert set(KINDS) - {"notify.digest", "notify.test"} - routed == set()


def test_the_api_documents_every_event_kind():
    from console.api import notifications
    from console.notify.kinds import KINDS

    documented = notifications.notifications_list.__doc__.split("enum: [", 2)[2].split("]")[0]
    assert [kind.strip() for kind in documented.replace("\n", " ").split(",")] == list(KINDS)
