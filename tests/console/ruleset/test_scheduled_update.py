"""The daily update of url sources at [rules] update_at (Scirius #64): a changed ruleset becomes the next version, an
unchanged one stores nothing, a build that fails validation keeps the active version and is announced; once a day
however many scheduler nodes ask."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from console.db import session_scope
from console.models.notify import NotifyDelivery
from console.ruleset import service as ruleset
from console.ruleset.schedule import scheduled_rules_update
from console.scheduler import build_scheduler
from console.tasks import work
from rules import sources
from rules.sources import Source
from tests.rules.conftest import THIRD_PARTY, make_tarball
from tests.fixtures.notify_config import syslog_rule

NOTIFY = syslog_rule(events=("rules.build_refused",), name="rules")


@pytest.fixture
def settings(config_file, rules_config):
    from console.settings import load_settings

    config_file.write_text(config_file.read_text() + NOTIFY)
    conf = load_settings(config_file)
    yield conf.model_copy(update={"rules": rules_config.model_copy(update={"update_at": "03:15"})})
    work.forget(conf)


def test_the_update_is_scheduled_at_its_local_time(settings):
    job = build_scheduler(settings).get_job("rules-update")
    assert "hour='3', minute='15'" in str(job.trigger) and str(job.trigger.timezone) == "Asia/Ho_Chi_Minh"


def test_changed_unchanged_and_refused_updates(settings, engine, session_factory, tmp_path):
    tarball = make_tarball(tmp_path / "mirror.tar.gz", THIRD_PARTY)
    sources.add_source(settings.rules.sources_file, Source("mirror", "url", f"file://{tarball}"))

    first = scheduled_rules_update(settings, date(2026, 12, 1))
    assert first.state.value == "done" and first.result["changed"] is True
    assert scheduled_rules_update(settings, date(2026, 12, 1)) is None  # that day's update is claimed

    unchanged = scheduled_rules_update(settings, date(2026, 12, 2))
    assert unchanged.state.value == "done" and unchanged.result["changed"] is False
    assert unchanged.result["version"] == first.result["version"]

    make_tarball(tarball, {**THIRD_PARTY, "rules/vendor-new.rules": (
        'alert tcp $EXTERNAL_NET any -> $HOME_NET 23 (msg:"VENDOR SCAN telnet"; flow:to_server; flags:S,12; '
        'classtype:attempted-recon; sid:2000201; rev:1;)\n')})
    changed = scheduled_rules_update(settings, date(2026, 12, 3))
    assert changed.result["changed"] is True and changed.result["version"] == first.result["version"] + 1

    make_tarball(tarball, {**THIRD_PARTY, "rules/vendor-bad.rules": (
        'alert tcp any any -> any any (msg:"VENDOR broken"; content:"x"; nosuchkeyword; sid:2000301; rev:1;)\n')})
    refused = scheduled_rules_update(settings, date(2026, 12, 4))
    assert refused.state.value == "failed" and "error" in refused.error
    with session_scope(session_factory) as session:
        assert ruleset.active_version(session).number == changed.result["version"]
        (told,) = session.scalars(select(NotifyDelivery).where(NotifyDelivery.kind == "rules.build_refused"))
        assert f"The sensors keep version {changed.result['version']}" in told.body
