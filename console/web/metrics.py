"""Prometheus metrics about the console itself, served at /metrics.

Under gunicorn with several workers the counters live in
PROMETHEUS_MULTIPROC_DIR (set by `ops console serve`) and are summed at
scrape time, as prometheus_client documents for multi-process servers.
Gauges about the estate are read from the database at scrape time.
"""

from __future__ import annotations

import os
import time

from flask import Flask, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS = Counter("ops_http_requests_total", "HTTP requests served", ["method", "endpoint", "status"])
LATENCY = Histogram("ops_http_request_seconds", "Time to serve a request", ["endpoint"])
ACCESS_DENIED = Counter("ops_access_denied_total", "Requests refused for role, token or CSRF", ["reason"])
LOGINS = Counter("ops_logins_total", "Login attempts by outcome", ["outcome"])
REPORTS = Counter("ops_agent_reports_total", "Agent reports by outcome and refusal reason", ["outcome", "reason"])


def init_app(app: Flask) -> None:
    @app.before_request
    def _start():
        g.request_started = time.perf_counter()

    @app.after_request
    def _count(response):
        endpoint = request.endpoint or "unknown"
        REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        if "request_started" in g:
            LATENCY.labels(endpoint).observe(time.perf_counter() - g.request_started)
        return response


class EstateCollector:
    """Gauges read from the database on each scrape."""

    def __init__(self, session):
        self.session = session

    def collect(self):
        from console.inventory.hosts import host_counts
        from console.access.users import count_active

        hosts = GaugeMetricFamily("ops_hosts", "Hosts in the asset list", labels=["status"])
        for status, count in host_counts(self.session).items():
            hosts.add_metric([status.value], count)
        yield hosts
        users = GaugeMetricFamily("ops_users_active", "Active console users")
        users.add_metric([], count_active(self.session))
        yield users
        from console.alerts.health import metric_families
        from console.notify.outbox import delivery_counts

        yield from metric_families(self.session)
        deliveries = GaugeMetricFamily("ops_notify_deliveries", "Notification deliveries in the outbox by channel "
                                       "and state (sent, failed, pending...)", labels=["channel", "state"])
        for channel, state, count in delivery_counts(self.session):
            deliveries.add_metric([channel, state], count)
        yield deliveries
        from console.availability.status import metric_families as availability_families

        yield from availability_families(self.session)


def exposition(session) -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process_registry = CollectorRegistry()
        MultiProcessCollector(process_registry)
    else:
        process_registry = REGISTRY
    estate = CollectorRegistry()
    estate.register(EstateCollector(session))
    return generate_latest(process_registry) + generate_latest(estate)
