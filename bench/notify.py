"""Benchmark: notifications through the outbox to a real SMTP server and a real HTTPS webhook receiver.

A fresh database (SQLite; PostgreSQL with --postgres, a throwaway cluster) migrated with console.migrate, an
ops.toml in a temp folder with one email channel (aiosmtpd, STARTTLS, the test CA) and one webhook channel
(http.server over TLS), and one rule `events = ["*"]` to both with throttle_minutes = 0: every event is two
messages. The receivers run in their own process (as a mail server and a webhook endpoint would), on 127.0.0.1,
and note the arrival time of every message (SMTP: in handle_DATA, by its Message-ID; webhook: by X-Ops-Delivery).
The sender is the real `ops scheduler run` job: console.scheduler.build_scheduler's "notify-deliver" job
(deliver_due every [notify] deliver_interval_seconds, default 2 s, one instance at a time), in a thread.

- Baseline: --direct messages per channel straight through the channel's send(), no outbox: messages/s.
- Phase 1, throughput: --events events emitted with emit_all in transactions of --batch (as a busy console
  writes them), then the scheduler drains the outbox; messages/s per channel and in total, the drain time, the
  ratio to the direct sends, and where the time of deliver_due goes (claim, send, record, waiting for the tick).
- Phase 2, latency: a producer thread emits --rate events/s, one transaction each, for --seconds while the
  scheduler sends; event-to-delivery latency = arrival at the receiver - the event's emit; p50/p95/max per channel.

    .venv/bin/python bench/notify.py [--events 10000] [--seconds 60] [--rate 10] [--direct 1000] [--postgres]

Target: event-to-delivery p95 < 5 s at 10 events/s.

The default run takes about 11 minutes per database on the 2-core VM: draining the 20,000 messages of phase 1 is
most of it (about 35 messages/s), so PostgreSQL is opt-in here (--postgres). A quick check in about a minute:
--events 1000 --seconds 20 --direct 100.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from console import migrate  # noqa: E402
from console import scheduler as console_scheduler  # noqa: E402
from console.db import make_engine, make_session_factory, session_scope  # noqa: E402
from console.models.base import utcnow  # noqa: E402
from console.models.notify import NotifyDelivery  # noqa: E402
from console.notify import channels as channel_senders  # noqa: E402
from console.notify import outbox  # noqa: E402
from console.notify.events import Event, _delivery, emit_all  # noqa: E402
from console.settings import load_settings  # noqa: E402
from tests.fixtures.notify_servers import Pki, SmtpServer, WebhookReceiver  # noqa: E402

TARGET_P95 = 5.0
DIRECT_IDS = 900_000_000  # delivery ids of the baseline's messages (no outbox row)
MESSAGE_ID = re.compile(rb"Message-ID: <ops-(\d+)\.")
KINDS = [("ups.on_battery", {"device": "ups-{n}", "charge": 80, "runtime_minutes": "20", "hosts": "web-01, db-01"}),
         ("host.stale", {"host": "host-{n}", "last_seen": "2026-12-01 08:00"}),
         ("job.failed", {"job_id": "{n}", "playbook": "site.yml", "actor": "alice", "state": "failed",
                         "message": "unreachable"})]


# --- the receivers, in their own process --------------------------------------------------------------------------

class StampingCollector:
    """An aiosmtpd handler that notes (delivery id, arrival time) of every message and keeps no content."""

    def __init__(self, arrivals: list):
        self.arrivals, self.count = arrivals, 0

    async def handle_DATA(self, server, session, envelope):
        arrived = time.time()
        found = MESSAGE_ID.search(envelope.original_content or b"")
        self.arrivals.append(("email", int(found.group(1)) if found else -1, arrived))
        self.count += 1
        return f"250 2.0.0 Ok: queued as B{self.count}"


class StampedRequests(list):
    """WebhookReceiver.requests: its handler appends each request when it has read it; note the time, keep no body."""

    def __init__(self, arrivals: list):
        super().__init__()
        self.arrivals = arrivals

    def append(self, received) -> None:
        self.arrivals.append(("webhook", int(received.headers.get("X-Ops-Delivery", "-1")), time.time()))


def receivers(pki: Pki, pipe) -> None:
    """The child process: SMTP and webhook servers; answers "take" with the arrivals since the last "take"."""
    arrivals: list = []
    smtp = SmtpServer(pki, security="starttls", collector=StampingCollector(arrivals)).start()
    hook = WebhookReceiver(pki)
    hook.requests = StampedRequests(arrivals)
    pipe.send((smtp.port, hook.url))
    try:
        while True:
            command = pipe.recv()
            if command == "stop":
                break
            taken = arrivals[:]
            del arrivals[:len(taken)]
            pipe.send(taken)
    finally:
        hook.stop()
        smtp.stop()


class Receivers:
    def __init__(self, pki: Pki):
        context = multiprocessing.get_context("spawn")
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=receivers, args=(pki, child), daemon=True)
        self.process.start()
        if not self.pipe.poll(60):
            raise RuntimeError("the receivers did not start")
        self.smtp_port, self.hook_url = self.pipe.recv()

    def take(self) -> list[tuple[str, int, float]]:
        self.pipe.send("take")
        return self.pipe.recv()

    def stop(self) -> None:
        try:
            self.pipe.send("stop")
        except OSError:
            pass
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()


# --- configuration, events --------------------------------------------------------------------------------------

def write_config(folder: Path, url: str, pki: Pki, smtp_port: int, hook_url: str, interval: float) -> Path:
    run_at = (datetime.now(timezone.utc) + timedelta(hours=12)).strftime("%H:%M")  # no nightly run meanwhile
    path = folder / "ops.toml"
    path.write_text(f"""[console]
secret_key = "bench-secret-key-not-for-production"
default_locale = "en"
[database]
url = "{url}"
[paths]
var_dir = "{folder / 'var'}"
[inventory]
path = "{REPO / 'inventory'}"
[compliance]
run_at = "{run_at}"

[notify]
console_url = "https://ops.example.test"
deliver_interval_seconds = {interval}

[[notify.channels]]
name = "duty-mail"
kind = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "starttls"
ca_file = "{pki.ca_file}"
sender = "ops@example.test"
recipients = ["duty@example.test"]
timeout_seconds = 10

[[notify.channels]]
name = "soc-hook"
kind = "webhook"
url = "{hook_url}"
ca_file = "{pki.ca_file}"
timeout_seconds = 10

[[notify.rules]]
name = "everything"
events = ["*"]
channels = ["duty-mail", "soc-hook"]
throttle_minutes = 0
""")
    return path


def event(n: int, prefix: str) -> Event:
    kind, params = KINDS[n % len(KINDS)]
    return Event(kind, f"{prefix}:{n}", "high",
                 {k: v.format(n=n) if isinstance(v, str) else v for k, v in params.items()}, f"/things/{n}")


# --- instrumentation of deliver_due (bench only: wraps the module's functions, changes nothing) ----------------

class Meter:
    """Time spent in deliver_due's rounds, claims, sends and records; rounds as (start, seconds, claimed, sent)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()
        self._deliver_due, self._claim, self._record = outbox.deliver_due, outbox._claim, outbox._record
        self._send = channel_senders.send
        meter = self

        def deliver_due(factory, settings, now=None, limit=200, send=None, only_id=None):
            started = time.perf_counter()
            totals = meter._deliver_due(factory, settings, now, limit, send or timed_send, only_id)
            with meter.lock:
                meter.rounds.append((started, time.perf_counter() - started, meter._claimed_last, totals.sent))
                meter.sent += totals.sent
                meter.failed += totals.failed
                meter.errors.update(totals.errors)
            return totals

        def claim(*args, **kwargs):
            started = time.perf_counter()
            rows = meter._claim(*args, **kwargs)
            meter.claim_seconds += time.perf_counter() - started
            meter._claimed_last = len(rows)
            return rows

        def record(*args, **kwargs):
            started = time.perf_counter()
            meter._record(*args, **kwargs)
            meter.record_seconds += time.perf_counter() - started

        def timed_send(channel, message):
            started = time.perf_counter()
            try:
                return meter._send(channel, message)
            finally:
                meter.send_seconds[channel.name] += time.perf_counter() - started
                meter.send_count[channel.name] += 1

        self.wrapped = (deliver_due, claim, record)

    def reset(self) -> None:
        self.rounds, self.sent, self.failed, self.errors = [], 0, 0, {}
        self.claim_seconds = self.record_seconds = 0.0
        self.send_seconds, self.send_count = defaultdict(float), defaultdict(int)
        self._claimed_last = 0

    def install(self) -> None:
        outbox.deliver_due, outbox._claim, outbox._record = self.wrapped

    def uninstall(self) -> None:
        outbox.deliver_due, outbox._claim, outbox._record = self._deliver_due, self._claim, self._record


class Scheduler:
    """console.scheduler.build_scheduler (the real jobs, notify-deliver among them) running in a thread."""

    def __init__(self, settings):
        self.scheduler = console_scheduler.build_scheduler(settings)
        self.thread = threading.Thread(target=self.scheduler.start, daemon=True)

    def start(self) -> "Scheduler":
        self.started = time.perf_counter()
        self.thread.start()
        return self

    def stop(self) -> None:
        self.scheduler.shutdown(wait=True)
        self.thread.join(30)


def pending(factory) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(NotifyDelivery)
                              .where(NotifyDelivery.state.in_(("pending", "sending"))))


def wait_sent(meter: Meter, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while meter.sent + meter.failed < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {meter.sent} of {expected} messages sent after {timeout:.0f} s "
                               f"({meter.failed} failed: {meter.errors})")
        time.sleep(0.05)
    if meter.failed:
        raise RuntimeError(f"{meter.failed} messages failed: {meter.errors}")


# --- the runs ---------------------------------------------------------------------------------------------------

def direct(settings, count: int, rx: Receivers) -> dict:
    """The baseline: each channel's send() straight, one message after the other, alternating the channels."""
    channels, rule = settings.notify.channels, settings.notify.rules[0]
    rx.take()
    seconds, started = defaultdict(float), time.perf_counter()
    for n in range(count * len(channels)):
        channel = channels[n % len(channels)]
        e = event(n, "direct")
        row = _delivery(settings, e, rule, channel, f"direct|{n}", utcnow())  # rendered as the outbox's rows are
        row.id = DIRECT_IDS + n
        message = outbox._message(row)
        at = time.perf_counter()
        channel_senders.send(channel, message)
        seconds[channel.name] += time.perf_counter() - at
    wall = time.perf_counter() - started
    time.sleep(0.2)
    got = len(rx.take())
    if got != count * len(channels):
        raise RuntimeError(f"direct sends: the receivers got {got} of {count * len(channels)} messages")
    return {"wall": wall, "total": count * len(channels) / wall,
            **{name: count / seconds[name] for name in seconds}}


def throughput(settings, factory, events: int, batch: int, rx: Receivers, meter: Meter) -> dict:
    rx.take()
    started = time.perf_counter()
    for start in range(0, events, batch):
        with session_scope(factory) as session:
            emit_all(session, [event(n, "burst") for n in range(start, min(start + batch, events))])
    emit_seconds = time.perf_counter() - started
    expected = pending(factory)
    meter.reset()
    sched = Scheduler(settings).start()
    try:
        wait_sent(meter, expected, timeout=max(600.0, expected / 10))
        drain = time.perf_counter() - sched.started
    finally:
        sched.stop()
    time.sleep(0.2)
    arrivals = rx.take()
    per_channel = defaultdict(int)
    for channel, _id, _at in arrivals:
        per_channel[channel] += 1
    if len(arrivals) != expected:
        raise RuntimeError(f"phase 1: the receivers got {len(arrivals)} of {expected} messages")
    first = meter.rounds[0][0]
    busy = sum(seconds for _s, seconds, _c, _n in meter.rounds)
    return {"events": events, "messages": expected, "emit_seconds": emit_seconds, "drain": drain,
            "first_round_after": first - sched.started, "rounds": len(meter.rounds), "busy": busy,
            "claimed_max": max(c for _s, _d, c, _n in meter.rounds),
            "round_mean": busy / len(meter.rounds), "claim": meter.claim_seconds, "record": meter.record_seconds,
            "send": dict(meter.send_seconds), "send_count": dict(meter.send_count),
            "per_channel": {name: count / drain for name, count in per_channel.items()},
            "counts": dict(per_channel), "total": expected / drain, "busy_rate": expected / busy}


def latency(settings, factory, seconds: float, rate: float, rx: Receivers, meter: Meter) -> dict:
    rx.take()
    meter.reset()
    emitted: dict[str, float] = {}
    stop_at = [0.0]

    def produce():
        start = time.perf_counter()
        n = 0
        while True:
            due = start + n / rate
            if due >= start + seconds:
                break
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            e = event(n, "steady")
            at = time.time()
            with session_scope(factory) as session:
                emit_all(session, [e])
            emitted[e.key] = at
            n += 1
        stop_at[0] = time.perf_counter()

    sched = Scheduler(settings).start()
    producer = threading.Thread(target=produce, daemon=True)
    try:
        producer.start()
        producer.join(seconds + 600)
        expected = len(emitted) * len(settings.notify.channels)
        wait_sent(meter, expected, timeout=120)
        tail = time.perf_counter() - stop_at[0]
    finally:
        sched.stop()
    time.sleep(0.2)
    arrivals = rx.take()
    with factory() as session:
        keys = dict(session.execute(select(NotifyDelivery.id, NotifyDelivery.event_key)
                                    .where(NotifyDelivery.event_key.startswith("steady:"))).all())
    waits: dict[str, list[float]] = defaultdict(list)
    for channel, delivery_id, arrived in arrivals:
        waits[channel].append(arrived - emitted[keys[delivery_id]])
    if sum(len(v) for v in waits.values()) != expected:
        raise RuntimeError(f"phase 2: the receivers got {len(arrivals)} of {expected} messages")
    rounds = meter.rounds
    return {"events": len(emitted), "messages": expected, "tail": tail, "rounds": len(rounds),
            "round_mean": statistics.mean(d for _s, d, _c, _n in rounds),
            "round_max": max(d for _s, d, _c, _n in rounds),
            "claimed_max": max(c for _s, _d, c, _n in rounds),
            "send_mean": {name: meter.send_seconds[name] / meter.send_count[name] for name in meter.send_count},
            "claim_mean": meter.claim_seconds / len(rounds), "record_mean": meter.record_seconds / expected,
            "waits": {channel: summary(values) for channel, values in waits.items()},
            "all": summary([v for values in waits.values() for v in values])}


def summary(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.95) - 1, 0)], ordered[-1]


def run(label: str, url: str, folder: Path, pki: Pki, rx: Receivers, options) -> bool:
    engine = make_engine(url)
    migrate.upgrade(engine)
    config = write_config(folder, url, pki, rx.smtp_port, rx.hook_url, options.interval)
    settings = load_settings(config)
    factory = make_session_factory(engine, settings)
    meter = Meter()
    meter.install()
    try:
        base = direct(settings, options.direct, rx)
        print(f"{label:<10} direct send() baseline: {options.direct:,} messages per channel in {base['wall']:.1f} s: "
              f"{base['total']:.0f} messages/s (email {base['duty-mail']:.0f}/s, webhook {base['soc-hook']:.0f}/s)",
              flush=True)
        one = throughput(settings, factory, options.events, options.batch, rx, meter)
        mail, hook = one["send"]["duty-mail"] / one["send_count"]["duty-mail"], \
            one["send"]["soc-hook"] / one["send_count"]["soc-hook"]
        waiting = one["drain"] - one["busy"]
        print(f"{label:<10} phase 1: {one['events']:,} events emitted in {one['emit_seconds']:.1f} s "
              f"({one['events'] / one['emit_seconds']:.0f} events/s, transactions of {options.batch}); "
              f"{one['messages']:,} messages drained in {one['drain']:.1f} s: {one['total']:.0f} messages/s "
              f"(email {one['per_channel']['email']:.0f}/s, webhook {one['per_channel']['webhook']:.0f}/s), "
              f"{one['total'] / base['total']:.2f}x direct", flush=True)
        print(f"{label:<10}   {one['rounds']} rounds of at most {one['claimed_max']} rows, {one['round_mean']:.2f} s "
              f"each; busy {one['busy']:.1f} s ({one['busy_rate']:.0f} messages/s while busy, "
              f"{one['busy_rate'] / base['total']:.2f}x direct), waiting for the next tick {waiting:.1f} s "
              f"(first round {one['first_round_after']:.1f} s after start)", flush=True)
        print(f"{label:<10}   busy time: claim {one['claim']:.1f} s ({one['claim'] / one['rounds'] * 1000:.0f} ms/round),"
              f" send {sum(one['send'].values()):.1f} s (email {mail * 1000:.1f} ms, webhook {hook * 1000:.1f} ms "
              f"each), record {one['record']:.1f} s ({one['record'] / one['messages'] * 1000:.1f} ms each), "
              f"other {one['busy'] - one['claim'] - sum(one['send'].values()) - one['record']:.1f} s", flush=True)
        two = latency(settings, factory, options.seconds, options.rate, rx, meter)
        verdict = all(p95 < TARGET_P95 for _p50, p95, _max in two["waits"].values())
        for channel, (p50, p95, top) in sorted(two["waits"].items()):
            print(f"{label:<10} phase 2: {channel:<7} {two['events']:,} events at {options.rate:g}/s for "
                  f"{options.seconds:g} s: event-to-delivery p50 {p50:.2f} s  p95 {p95:.2f} s  max {top:.2f} s",
                  flush=True)
        print(f"{label:<10}   {two['rounds']} rounds, {two['round_mean']:.2f} s each (max {two['round_max']:.2f} s, "
              f"at most {two['claimed_max']} rows); claim {two['claim_mean'] * 1000:.0f} ms/round, send "
              + ", ".join(f"{name} {value * 1000:.1f} ms" for name, value in sorted(two["send_mean"].items()))
              + f", record {two['record_mean'] * 1000:.1f} ms per message; last message {two['tail']:.1f} s after "
              f"the last event", flush=True)
        print(f"{label:<10} load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} "
              f"{os.getloadavg()[2]:.1f} (1, 5, 15 min)", flush=True)
        print(f"{label:<10} target event-to-delivery p95 < {TARGET_P95:g} s at {options.rate:g} events/s: "
              f"{'PASS' if verdict else 'FAIL'} (all messages p95 {two['all'][1]:.2f} s)", flush=True)
        run.results.append((label, base, one, two, verdict))
        return verdict
    finally:
        meter.uninstall()
        engine.dispose()


run.results = []


def table() -> None:
    print()
    print(f"{'database':<10} {'figure':<44} {'email':>10} {'webhook':>10} {'total':>10}")
    for label, base, one, two, verdict in run.results:
        rows = [
            ("direct send(), messages/s (baseline)", base["duty-mail"], base["soc-hook"], base["total"], "{:.0f}"),
            ("outbox drain, messages/s", one["per_channel"]["email"], one["per_channel"]["webhook"], one["total"],
             "{:.0f}"),
            ("outbox / direct", None, None, one["total"] / base["total"], "{:.2f}x"),
            ("drain time, s", None, None, one["drain"], "{:.1f}"),
            ("event-to-delivery p50, s", two["waits"]["email"][0], two["waits"]["webhook"][0], two["all"][0],
             "{:.2f}"),
            ("event-to-delivery p95, s", two["waits"]["email"][1], two["waits"]["webhook"][1], two["all"][1],
             "{:.2f}"),
            ("event-to-delivery max, s", two["waits"]["email"][2], two["waits"]["webhook"][2], two["all"][2],
             "{:.2f}"),
        ]
        for name, mail, hook, total, shape in rows:
            cells = ["" if value is None else shape.format(value) for value in (mail, hook, total)]
            print(f"{label:<10} {name:<44} {cells[0]:>10} {cells[1]:>10} {cells[2]:>10}")
        print(f"{label:<10} {'target p95 < 5 s':<44} {'':>10} {'':>10} {'PASS' if verdict else 'FAIL':>10}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="phase 1: events emitted, then drained")
    parser.add_argument("--batch", type=int, default=100, help="phase 1: events per emitting transaction")
    parser.add_argument("--seconds", type=float, default=60, help="phase 2: how long the producer emits")
    parser.add_argument("--rate", type=float, default=10, help="phase 2: events per second")
    parser.add_argument("--direct", type=int, default=1000, help="baseline: messages per channel sent straight")
    parser.add_argument("--interval", type=float, default=2.0, help="[notify] deliver_interval_seconds")
    parser.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL (about doubles the time)")
    options = parser.parse_args()
    began = time.perf_counter()
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped: maximum number of running instances"
    folder = Path(tempfile.mkdtemp(prefix="ops-bench-notify-"))
    print(f"{platform.node()} {platform.processor() or platform.machine()} python {platform.python_version()} "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')} load average {os.getloadavg()[0]:.1f}", flush=True)
    pki = Pki(folder / "pki")
    rx = Receivers(pki)
    cluster = None
    passed = True
    try:
        databases = [("SQLite", lambda: f"sqlite:///{folder / 'notify.db'}")]
        if options.postgres:
            from tests.fixtures.postgres import PostgresCluster

            cluster = PostgresCluster().start()
            databases.append(("PostgreSQL", cluster.new_database))
        for label, make_url in databases:
            passed = run(label, make_url(), folder, pki, rx, options) and passed
        table()
        print(f"\ntarget event-to-delivery p95 < {TARGET_P95:g} s: {'PASS' if passed else 'FAIL'}; "
              f"run took {time.perf_counter() - began:.0f} s")
    finally:
        rx.stop()
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
