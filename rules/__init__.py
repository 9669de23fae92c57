"""The IDS rule manager: sources, policy, build, validate, testing, versions, deploy.

Built on suricata-update's own modules (its rule parser, matchers, flowbit
resolver and archive extraction) and its file formats (enable.conf,
disable.conf, modify.conf, drop.conf, threshold.config). Each module has one
job; the console's service layer (console/ruleset/service.py) ties them to the
database, permissions and the audit log.
"""
