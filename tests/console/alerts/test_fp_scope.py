"""A false positive's suppression scoped to a network (CIDR) holding the group's address, validated by Suricata."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console.alerts import triage as alerts_triage
from console.errors import ValidationFailed
from console.models import AlertGroup, AuditEvent
from tests.conftest import csrf_token
from tests.console.alerts.test_triage import groups, rule_manager  # noqa: F401  (fixtures)

WEB = (9905001, "198.18.200.12")  # source 198.18.200.12, destination 198.18.200.44


def test_a_network_scope_is_the_suppression_ip(session, groups, admin_actor):  # noqa: F811
    group = alerts_triage.propose_false_positive(session, admin_actor, groups[WEB], network="198.18.200.0/24")
    assert group.fp_proposal == "suppress gen_id 1, sig_id 9905001, track by_src, ip 198.18.200.0/24"
    again = alerts_triage.propose_false_positive(session, admin_actor, groups[WEB], network=" 198.18.200.12/16 ")
    assert again.fp_proposal.endswith("track by_src, ip 198.18.0.0/16")  # host bits cleared
    host = alerts_triage.propose_false_positive(session, admin_actor, groups[WEB], network="198.18.200.12/32")
    assert host.fp_proposal.endswith("ip 198.18.200.12")
    dst = alerts_triage.propose_false_positive(session, admin_actor, groups[(9905002, "198.18.200.12")],
                                               track="by_dst", network="198.18.200.0/26")
    assert dst.fp_proposal == "suppress gen_id 1, sig_id 9905002, track by_dst, ip 198.18.200.0/26"


@pytest.mark.parametrize("network, message", [
    ("nonsense", "'nonsense' is not an IPv4 or IPv6 network in CIDR form"),
    ("198.18.200.0/33", "is not an IPv4 or IPv6 network in CIDR form"),
    ("198.18.21.0/24", "198.18.21.0/24 does not contain the group's source address 198.18.200.12"),
    ("2001:db8::/32", "2001:db8::/32 does not contain the group's source address 198.18.200.12"),
    ("198.0.0.0/7", "198.0.0.0/7 is too wide: at most /8 for IPv4"),
])
def test_a_bad_network_is_refused_naming_the_field_and_nothing_changes(session, groups, admin_actor,  # noqa: F811
                                                                       network, message):
    with pytest.raises(ValidationFailed, match=message) as refused:
        alerts_triage.propose_false_positive(session, admin_actor, groups[WEB], network=network)
    assert refused.value.field == "network"
    assert session.get(AlertGroup, groups[WEB]).fp_status in (None, "")


def test_a_destination_network_must_hold_the_destination(session, groups, admin_actor):  # noqa: F811
    with pytest.raises(ValidationFailed, match="does not contain the group's destination address"):
        alerts_triage.propose_false_positive(session, admin_actor, groups[WEB], track="by_dst",
                                             network="198.18.30.0/24")


def test_confirmed_network_suppression_passes_suricata_and_becomes_a_version(session, groups, admin_actor,  # noqa: F811
                                                                            rule_manager):  # noqa: F811
    from console.ruleset import service as rules_service

    group_id = groups[WEB]
    alerts_triage.propose_false_positive(session, admin_actor, group_id, network="198.18.200.0/24")
    group = alerts_triage.confirm_false_positive(session, admin_actor, group_id, reason="lab scanners")
    session.commit()
    assert (group.fp_status, group.fp_version) == ("applied", 2), group.fp_message
    assert rules_service.active_version(session).number == 2  # suricata -T accepted the CIDR
    line = "suppress gen_id 1, sig_id 9905001, track by_src, ip 198.18.200.0/24"
    assert line in (rule_manager.var_dir / "versions" / "2" / "threshold.config").read_text()
    assert line in rule_manager.threshold_file.read_text()
    suppress = session.scalars(select(AuditEvent).where(AuditEvent.action == "rules.suppress")).one()
    assert suppress.detail["ip"] == "198.18.200.0/24" and suppress.detail["version"] == 2


def test_group_page_form_scopes_to_a_network_and_a_bad_one_is_400(logged_in, groups, session):  # noqa: F811
    client = logged_in("security_officer")
    group_id = groups[WEB]
    page = client.get(f"/alerts/groups/{group_id}").get_data(as_text=True)
    assert 'data-testid="fp-scope"' in page and 'data-testid="fp-network"' in page
    form = {"kind": "suppress", "track": "by_src", "scope": "network", "csrf_token": csrf_token(page)}
    for bad in ("10.0.0.0/8", "not-a-net", ""):
        refused = client.post(f"/alerts/groups/{group_id}/false-positive", data={**form, "network": bad})
        assert refused.status_code == 400 and "network" in refused.get_data(as_text=True)
    assert client.post(f"/alerts/groups/{group_id}/false-positive",
                       data={**form, "scope": "everything", "network": "x"}).status_code == 400
    session.expire_all()
    assert session.get(AlertGroup, group_id).fp_proposal in (None, "")
    assert not session.scalars(select(AuditEvent).where(AuditEvent.action == "alerts.false_positive.propose")).all()
    done = client.post(f"/alerts/groups/{group_id}/false-positive", data={**form, "network": "198.18.200.0/25"})
    assert done.status_code == 302
    shown = client.get(f"/alerts/groups/{group_id}").get_data(as_text=True)
    assert "suppress gen_id 1, sig_id 9905001, track by_src, ip 198.18.200.0/25" in shown
    address = client.post(f"/alerts/groups/{group_id}/false-positive",
                          data={**form, "scope": "address", "network": "ignored"})
    assert address.status_code == 302
    assert "track by_src, ip 198.18.200.12</code>" in client.get(f"/alerts/groups/{group_id}").get_data(as_text=True)


def test_the_api_takes_a_network_and_names_a_bad_one(client, make_user, session_factory, groups):  # noqa: F811
    from console.access import tokens
    from console.access.actor import Actor
    from console.db import session_scope
    from console.models import Role

    make_user("officer", "security_officer")
    with session_scope(session_factory) as db:
        token = tokens.create_token(db, Actor("officer", Role.security_officer), "soc", None, 30)[1]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/alerts/groups/{groups[WEB]}/false-positive"
    answer = client.post(url, json={"network": "198.18.200.0/24"}, headers=headers)
    assert answer.status_code == 200 and answer.json["data"]["proposal"].endswith("ip 198.18.200.0/24")
    refused = client.post(url, json={"network": "198.18.21.0/24"}, headers=headers)
    assert refused.status_code == 400 and refused.json["errors"][0]["field"] == "network"


def test_false_positive_state_conflicts_are_409_and_documented(client, make_user, session_factory, groups):  # noqa: F811
    """Issue 29 defect 7: they answered 400."""
    from console.access import tokens
    from console.access.actor import Actor
    from console.db import session_scope
    from console.models import Role

    make_user("officer", "security_officer")
    with session_scope(session_factory) as db:
        token = tokens.create_token(db, Actor("officer", Role.security_officer), "soc", None, 30)[1]
    headers = {"Authorization": f"Bearer {token}"}
    confirm = client.post(f"/api/v1/alerts/groups/{groups[WEB]}/false-positive/confirm", json={}, headers=headers)
    assert confirm.status_code == 409 and "no proposal" in confirm.json["errors"][0]["message"]
    document = client.get("/api/v1/openapi.json", headers=headers).json
    for path in ("/api/v1/alerts/groups/{group_id}/false-positive",
                 "/api/v1/alerts/groups/{group_id}/false-positive/confirm"):
        assert "409" in document["paths"][path]["post"]["responses"], path
