"""`ops lab`: test hosts as network namespaces with their own sshd, for the playbooks; the demo's UPS and mailbox."""

from __future__ import annotations

import click

from console import lab
from console.access.actor import Actor

NAME_OPTION = click.option("--name", default=lab.DEFAULT_NAME, show_default=True,
                           help="Lab name: several labs can be up at once.")


def register(main: click.Group) -> None:
    main.add_command(lab_group)


@click.group("lab")
def lab_group() -> None:
    """A lab of SSH hosts (needs root); the demo's UPS (root) and mailbox."""


@lab_group.command("up")
@click.argument("count", type=click.IntRange(1, 100))
@NAME_OPTION
@click.option("--console-port", type=click.IntRange(1, 65535), default=None,
              help="Port the console listens on at the lab's bridge address; sets ops_console_url.")
@click.pass_obj
def up(ctx, count: int, name: str, console_port: int | None) -> None:
    """Make COUNT hosts (lab-host-01...) and write an Ansible inventory for them."""
    settings = ctx.settings
    state = lab.up(settings.paths.var_dir, count, name, settings.inventory.path, console_port)
    click.echo(f"lab {name}: {len(state.hosts)} hosts on {state.bridge} ({state.gateway}/24)")
    for host in state.hosts:
        click.echo(f"  {host.name}  {host.address}  netns {host.namespace}")
    click.echo(f"inventory: {state.inventory_file}")


@lab_group.command("down")
@NAME_OPTION
@click.pass_obj
def down(ctx, name: str) -> None:
    """Remove the lab: processes, namespaces, links and files, also what a crash left."""
    removed = lab.down(ctx.settings.paths.var_dir, name)
    click.echo(f"lab {name}: removed {len(removed)} items" if removed else f"lab {name}: nothing to remove")


@lab_group.command("status")
@NAME_OPTION
@click.pass_obj
def status(ctx, name: str) -> None:
    """Show the lab's hosts, whether each namespace exists and each sshd answers."""
    state, rows = lab.status(ctx.settings.paths.var_dir, name)
    if state is None:
        others = lab.labs(ctx.settings.paths.var_dir)
        click.echo(f"lab {name}: not up" + (f" (labs up: {', '.join(others)})" if others else ""))
        return
    click.echo(f"lab {name}: {state.status}, {len(rows)} hosts on {state.bridge} ({state.gateway}/24)")
    for row in rows:
        click.echo(f"  {row.name}  {row.address}  namespace {'yes' if row.namespace_present else 'MISSING'}"
                   f"  sshd {'answers' if row.sshd_answers else 'DOWN'}")
    click.echo(f"inventory: {state.inventory_file}")


@lab_group.command("sync-inventory")
@NAME_OPTION
@click.pass_obj
def sync_inventory_command(ctx, name: str) -> None:
    """Make the estate's hosts plus the lab's hosts the console's asset list.

    A later plain `ops inventory sync` retires the lab's hosts again.
    """
    from console.lab.errors import LabError
    from console.lab.state import merged_inventory_dir
    from console.inventory.sync import sync_inventory

    settings = ctx.settings
    state = lab.load(settings.paths.var_dir, name)
    if state is None:
        raise LabError(f"lab {name!r} is not up")
    merged = lab.merged_with_estate(state, settings.inventory.path, merged_inventory_dir(settings.paths.var_dir, name))
    conf = settings.inventory.model_copy(update={"path": merged})
    with ctx.session() as session:
        result = sync_inventory(session, Actor.cli(), conf)
    click.echo(f"inventory synced with lab {name}: {result.summary()}")


# --- the demo's UPS and mailbox ---------------------------------------------------------------------------------

UPS_NAME_OPTION = click.option("--name", default="demo", show_default=True,
                               help="The UPS name upsd serves (the `ups` key of the [[devices]] table).")


@lab_group.group("ups")
def ups_group() -> None:
    """A UPS to play with: NUT's dummy-ups driver and upsd on 127.0.0.1 (needs root)."""


@ups_group.command("start")
@click.option("--port", type=click.IntRange(1, 65535), default=13493, show_default=True,
              help="The loopback port upsd listens on (the `port` of the [[devices]] table).")
@UPS_NAME_OPTION
@click.pass_obj
def ups_start(ctx, port: int, name: str) -> None:
    """Run dummy-ups and upsd in the foreground until Ctrl-C or SIGTERM; the UPS starts on line.

    Its configuration and the device file NAME.dev are in <[paths] var_dir>/demo-ups/.
    """
    from console.lab import ups

    def ready(running) -> None:
        click.echo(f"demo UPS {running.name!r} on NUT {ups.HOST}:{running.port}: on line "
                   f"(dummy-ups pid {running.driver_pid}, upsd pid {running.upsd_pid})")
        click.echo(f"device file {running.device_file}; change it with "
                   f"`ops lab ups on-battery|low-battery|online`; Ctrl-C stops it")

    ups.run(ctx.settings.paths.var_dir, port=port, name=name, on_ready=ready)
    click.echo("demo UPS stopped (upsd and dummy-ups)")


def _ups_state_command(state: str, summary: str):
    @ups_group.command(state, help=f"Put the demo UPS {summary}: rewrites its device file.")
    @UPS_NAME_OPTION
    @click.pass_obj
    def command(ctx, name: str) -> None:
        from console.lab import ups

        path = ups.set_state(ctx.settings.paths.var_dir, state, name)
        click.echo(f"demo UPS {name!r}: {ups.DESCRIPTIONS[state]} (wrote {path}); "
                   f"upsd serves it within {ups.POLL_INTERVAL} s")
        if ups.running_pid(ctx.settings.paths.var_dir) is None:
            click.echo("note: the demo UPS is not running; start it with `ops lab ups start` (it starts on line)")
        devices = [device for device in ctx.settings.devices
                   if device.connector == "nut" and device.ups == name and device.address in ("127.0.0.1", "localhost")]
        for device in devices:
            click.echo(f"the console sees it at the next poll of {device.name} (every {device.interval_seconds} s); "
                       f"poll now: ops devices poll --device {device.name}")
        if not devices:
            click.echo("no [[devices]] table in ops.toml reads this UPS (connector nut, address 127.0.0.1, "
                       f"ups {name!r})")

    command.__name__ = f"ups_{state.replace('-', '_')}"
    return command


ups_online = _ups_state_command("online", "on line (OL)")
ups_on_battery = _ups_state_command("on-battery", "on battery (OB DISCHRG, 55 %)")
ups_low_battery = _ups_state_command("low-battery", "on battery with a low battery (OB LB, 9 %)")


@lab_group.command("mailbox")
@click.option("--port", type=click.IntRange(1, 65535), default=2525, show_default=True,
              help="The SMTP port (the `port` of the demo's [[notify.channels]] email channel).")
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address: 127.0.0.1 or ::1.")
@click.option("--dir", "folder", type=click.Path(file_okay=False), default=None,
              help="The Maildir (one file per message in new/). Default: <[paths] var_dir>/demo-mail.")
@click.pass_obj
def mailbox_command(ctx, port: int, host: str, folder: str | None) -> None:
    """A local SMTP server that keeps every message in a Maildir, until Ctrl-C or SIGTERM.

    No password, no TLS, loopback only: for the demo's email channel (security = "none").
    """
    from datetime import datetime
    from pathlib import Path

    from console.lab import mailbox

    target = Path(folder) if folder else ctx.settings.paths.var_dir / "demo-mail"

    def ready(address: str, listening: int, path: Path) -> None:
        where = f"[{address}]:{listening}" if ":" in address else f"{address}:{listening}"
        click.echo(f"demo mailbox: SMTP on {where}, every message into {path / 'new'}/; Ctrl-C stops it")

    def received(message) -> None:
        click.echo(f"{datetime.now():%H:%M:%S} mail From: {message.sender}  To: {message.recipients}  "
                   f"Subject: {message.subject}  ({message.file.name})")

    mailbox.serve(target, port=port, host=host, on_ready=ready, on_message=received)
    click.echo("demo mailbox stopped")


@lab_group.command("traffic")
@click.option("--dir", "folder", default=None, help="Where the pcap and Suricata's eve.json go (default: <var_dir>/demo-eve).")
@click.option("--rounds", type=click.IntRange(1, 100), default=2, show_default=True,
              help="Rounds of traffic, a minute apart (offline); rounds to send (--live, with --every).")
@click.option("--live", "live_lab", default=None, metavar="LAB",
              help="Send the traffic live to lab LAB's IDS sensor (lab-host-01's wire) instead (needs root).")
@click.option("--every", type=click.IntRange(0, 3600), default=0,
              help="With --live: seconds between rounds; 0 sends --rounds rounds at once. With --every and no "
                   "--rounds limit given, sends until stopped.")
@click.pass_obj
def traffic_command(ctx, folder: str | None, rounds: int, live_lab: str | None, every: int) -> None:
    """Scapy-made IDS traffic, offline (default) or live on a lab's wire (--live LAB).

    Offline: traffic on 198.18.200.0/24 ending now, read by Suricata (`suricata -r`) with three test
    rules (HTTP URI, DNS query, TCP payload); prints the eve.json path for `ops alerts ingest`.

    Live: each round fires the department's rules 9100001 (HTTP /landdb/admin from outside),
    9100002 (SSH SYNs) and 9100004 (SNMP "public") on the lab sensor's Suricata, whose agent ships
    the alerts to the console; it also carries a DHCP exchange of a laptop in no inventory.
    """
    import time
    from pathlib import Path

    from console.lab import traffic

    if live_lab is not None:
        _live_traffic(ctx, live_lab, rounds, every)
        return
    out = Path(folder) if folder else ctx.settings.paths.var_dir / "demo-eve"
    out.mkdir(parents=True, exist_ok=True)
    pcap = traffic.make_traffic(out / "traffic.pcap", rounds=rounds, t0=time.time() - rounds * 60)
    click.echo(traffic.run_suricata(pcap, out))


def _live_traffic(ctx, name: str, rounds: int, every: int) -> None:
    import time

    from console.lab import live_traffic
    from console.lab.errors import LabError

    state = lab.load(ctx.settings.paths.var_dir, name)
    if state is None:
        raise LabError(f"lab {name!r} is not up")
    forever = every > 0 and click.get_current_context().get_parameter_source("rounds").name == "DEFAULT"
    sent = 0
    while forever or sent < rounds:
        if sent and every:
            time.sleep(every)
        done = live_traffic.inject(state)
        sent += 1
        click.echo(f"round {sent}: {done.packets} frames to {done.server} on lab {name}'s sensor "
                   f"(HTTP from {done.http_client}, SNMP from {done.snmp_client}, SSH from {done.ssh_client}; "
                   f"DHCP of {done.laptop})", err=False)


@lab_group.command("ksc")
@click.option("--port", type=click.IntRange(1, 65535), default=13299, show_default=True,
              help="The loopback port (the `port` of ops.toml's [endpoints]).")
@click.option("--hosts", "workstations", type=click.IntRange(0, 100000), default=300, show_default=True,
              help="Workstations to make, spread over the inventory's units (the servers come on top).")
@click.pass_obj
def ksc_command(ctx, port: int, workstations: int) -> None:
    """A replay of Kaspersky Security Center's Open API on 127.0.0.1, until Ctrl-C or SIGTERM.

    It serves the inventory's servers (but for a few) and generated workstations, some with old bases, some
    with protection off. Its self-signed certificate goes to <[paths] var_dir>/demo-ksc/ksc.crt (ops.toml's
    [endpoints] ca_file); it accepts [endpoints] username and the password its reference resolves to.
    """
    from console.common.secrets import resolve
    from console.inventory.reader import read_inventory
    from console.lab import ksc

    settings = ctx.settings
    config = settings.endpoints
    if not config.password:
        raise click.UsageError("ops.toml [endpoints] password is not set: the replay accepts that password")
    inventory = read_inventory(settings.inventory.path, settings.inventory.unit_group, settings.inventory.role_group)
    estate = ksc.estate(ksc.units_from_inventory(inventory), workstations)
    replay = ksc.KscReplay(settings.paths.var_dir / "demo-ksc", estate, resolve(config.password), port=port,
                           username=config.username or ksc.USERNAME)
    click.echo(f"demo KSC on https://127.0.0.1:{replay.port}: {len(estate.hosts)} hosts in {len(estate.groups)} "
               f"groups ({', '.join(estate.groups.values())})")
    click.echo(f"certificate {replay.cert_file} (sha256 {replay.pin}); Ctrl-C stops it")
    try:
        replay.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        replay.server.server_close()
    click.echo("demo KSC stopped")


@lab_group.command("inline")
@click.option("--dir", "folder", type=click.Path(file_okay=False), default=None,
              help="Suricata's files (suricata.rules, socket, log/eve.json). Default: <[paths] var_dir>/lab/inline.")
@click.option("--sensor", "sensor_name", default="lab-inline", show_default=True, help="The sensor's name in [rules].")
@click.option("--for", "seconds", type=click.IntRange(0, 86400), default=0,
              help="Stop after this many seconds (0: until Ctrl-C or SIGTERM).")
@click.option("--attack-every", "attack_every", type=click.IntRange(0, 3600), default=0,
              help="Every this many seconds the attacker asks for /landdb/admin (rule 9100001) and for / , and "
                   "says what came back (0: never).")
@click.option("--write-config", "config_out", type=click.Path(dir_okay=False), default=None,
              help="Also write this console configuration: the current one with the sensor added to [rules] "
                   "sensors and its EVE as [alerts] eve_files (for `ops alerts follow`), in the current file's "
                   "folder (it may be the current file itself).")
@click.pass_obj
def inline_command(ctx, folder: str | None, sensor_name: str, seconds: int, attack_every: int,
                   config_out: str | None) -> None:
    """An inline IPS sensor (needs root): attacker -- Suricata af-packet IPS -- a web server, until stopped.

    Three network namespaces (console/lab/inline.py): the attacker 198.18.252.1, the sensor (Suricata 7,
    af-packet copy-mode ips, fails closed) and a web server 198.18.252.2:80, the sensor's HOME_NET. Suricata
    starts with the rules its folder holds (none at first); the console deploys to it as the [rules] sensor
    printed here (kind "local", mode "ips"); its EVE is for `ops alerts follow`.
    """
    import signal
    import time
    from pathlib import Path

    from console.lab.inline import ATTACK_PATH, CLIENT_ADDRESS, LAB_HOME_NET, SERVER_ADDRESS, InlinePath

    target = Path(folder) if folder else ctx.settings.paths.var_dir / "lab" / "inline"
    target.mkdir(parents=True, exist_ok=True)
    path = InlinePath(target.resolve(), home_net=LAB_HOME_NET)
    entry = {"name": sensor_name, "kind": "local", "mode": "ips", "rules_file": str(path.folder / "suricata.rules"),
             "threshold_file": str(path.folder / "threshold.config"), "socket": str(path.folder / "suricata.socket"),
             "version_file": str(path.folder / "version")}
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        path.up()
        path.start_http_server()
        rules = target / "suricata.rules"
        path.start_suricata(rules.read_text() if rules.exists() else "")
        click.echo(f"inline sensor up: attacker {CLIENT_ADDRESS} (netns {path.client}) -> Suricata af-packet IPS "
                   f"(netns {path.sensor}) -> web server {SERVER_ADDRESS}:80 (netns {path.server_ns})")
        click.echo("[rules] sensors entry: {" + ", ".join(f'{key} = "{value}"' for key, value in entry.items()) + "}")
        click.echo(f"EVE: {path.eve}")
        if config_out:
            written = _write_inline_config(ctx, entry, path.eve, config_out)
            click.echo(f"console configuration with the inline sensor: {written} (OPS_CONFIG={written})")
        click.echo(f"try: ip netns exec {path.client} curl -m 3 http://{SERVER_ADDRESS}{ATTACK_PATH}; Ctrl-C stops it")
        deadline = time.monotonic() + seconds if seconds else None
        next_attack = time.monotonic() if attack_every else None
        while deadline is None or time.monotonic() < deadline:
            if path.suricata.poll() is not None:
                raise click.ClickException("Suricata exited: traffic through the sensor has stopped (fails closed)")
            if next_attack is not None and time.monotonic() >= next_attack:
                _attack(path, ATTACK_PATH)
                next_attack = time.monotonic() + attack_every
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        path.down()
    click.echo("inline sensor stopped")


def _attack(path, attack_path: str) -> None:
    """One round of the attacker: the path a department rule watches, then the site's front page."""
    from datetime import datetime

    for asked in (attack_path, "/"):
        answer = path.request(asked)
        said = (f"answered {answer.stdout.strip()}" if answer.returncode == 0
                else "no answer within 3 s: the sensor dropped it" if answer.returncode == 28
                else f"failed (curl exit {answer.returncode})")
        click.echo(f"{datetime.now():%H:%M:%S} attacker GET {asked}: {said}")


def _write_inline_config(ctx, entry: dict[str, str], eve, config_out: str):
    from console.lab.inline import with_sensor

    target, base = _config_beside(ctx, config_out, may_replace_source=True)
    return _write_config_text(target, with_sensor(base, entry, eve))


def _interrupt(*_args) -> None:
    """SIGTERM ends a foreground lab command as Ctrl-C does: through its `finally`, which takes things down."""
    raise KeyboardInterrupt


# --- the department's services, for the Availability page --------------------------------------------------------

SERVICE_NAMES = click.argument("services", nargs=-1, type=click.Choice(["web", "dns", "motcua"]))


@lab_group.group("services")
def services_group() -> None:
    """The department's services on a lab's bridge (needs root): web (HTTP), dns (dnsmasq), motcua (HTTPS).

    They run in the namespace ops-lab-<lab>-services at 198.19.<lab>.200; motcua's certificate, from the
    lab's own CA, expires 5 days and a half after `up` made it, and motcua needs dns to answer (see docs/availability.md).
    """


@services_group.command("up")
@SERVICE_NAMES
@NAME_OPTION
@click.option("--write-config", "config_out", type=click.Path(dir_okay=False), default=None,
              help="Also write this console configuration: the current one plus the [[availability.services]] "
                   "tables that check the lab's services (next to the current file: its relative paths stay right).")
@click.pass_obj
def services_up(ctx, services: tuple[str, ...], name: str, config_out: str | None) -> None:
    """Start the lab's services (default all) that are not running; a stopped one starts again."""
    from console.lab import services as lab_services

    running = lab_services.up(ctx.settings.paths.var_dir, name, list(services) or None)
    for service in services or lab_services.SERVICES:
        click.echo(f"lab {name}: {service} on {running.address}:{lab_services.PORTS[service]} "
                   f"(pid {running.pids[service]})")
    click.echo(f"motcua's certificate ({lab_services.PORTAL_NAME}) expires {lab_services.CERT_DAYS} days and a half "
               f"after it was made; the lab's CA: {running.ca_file}")
    if config_out:
        path = _write_services_config(ctx, running, config_out)
        click.echo(f"console configuration with the lab's services: {path} (OPS_CONFIG={path})")


def _config_beside(ctx, config_out: str, may_replace_source: bool):
    """(target path, the text of the configuration the command started from) for a configuration written
    beside it: in its folder, whose relative paths it keeps; LabError otherwise."""
    from pathlib import Path

    from console.lab.errors import LabError
    from console.settings import default_config_path

    source = Path(ctx.settings.source or default_config_path()).resolve()
    target = Path(config_out).resolve()
    if target.parent != source.parent:
        raise LabError(f"{target}: write it in {source.parent}, the folder of {source.name}, whose relative paths "
                       "it keeps")
    if target == source and not may_replace_source:
        raise LabError(f"{target}: that is the configuration it starts from; name another file")
    return target, source.read_text(encoding="utf-8") if source.exists() else ""


def _write_services_config(ctx, running, config_out: str):
    from console.lab import services as lab_services

    target, base = _config_beside(ctx, config_out, may_replace_source=False)
    return _write_config_text(target, base.rstrip("\n") + "\n" + lab_services.availability_toml(running))


def _write_config_text(target, text: str):
    """Write a console configuration (temporary file, checked as the console reads it, then renamed)."""
    import os

    from console.settings import load_settings

    temp = target.with_name(f".{target.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    try:
        load_settings(temp)  # what the console will read: refused here, by line, rather than at its start
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    os.replace(temp, target)
    return target


@services_group.command("down")
@SERVICE_NAMES
@NAME_OPTION
@click.pass_obj
def services_down(ctx, services: tuple[str, ...], name: str) -> None:
    """Stop the named services (a service fails: the console sees it down), or all and remove their namespace."""
    from console.lab import services as lab_services

    var_dir = ctx.settings.paths.var_dir
    if services:
        stopped = lab_services.stop(var_dir, name, list(services))
        for service in services:
            click.echo(f"lab {name}: {service} " + ("stopped" if service in stopped else "was not running"))
        click.echo(f"start again: ops lab services up --name {name} {' '.join(services)}")
        return
    removed = lab_services.down(var_dir, name)
    click.echo(f"lab {name}: services removed ({len(removed)} items)" if removed else
               f"lab {name}: no services to remove")


@services_group.command("status")
@NAME_OPTION
@click.pass_obj
def services_status(ctx, name: str) -> None:
    """Whether each of the lab's services runs."""
    from console.lab import services as lab_services

    running = lab_services.load(ctx.settings.paths.var_dir, name)
    if running is None:
        click.echo(f"lab {name}: no services (ops lab services up --name {name})")
        return
    for service, alive in lab_services.status(ctx.settings.paths.var_dir, name).items():
        click.echo(f"  {service}  {running.address}:{lab_services.PORTS[service]}  "
                   f"{'running' if alive else 'STOPPED'}")


# --- the demo's two uplinks and its server room ------------------------------------------------------------------

UPLINKS_BEGIN = "# >>> ops lab uplinks"
UPLINKS_END = "# <<< ops lab uplinks"


@lab_group.group("uplinks")
def uplinks_group() -> None:
    """Two uplinks on a router namespace (snmpd, IF-MIB) and a server room (snmpsim, APC probe); needs root.

    See docs/availability.md. `ops lab uplink down 1` cuts uplink 1's line (a failover);
    `ops lab room temperature 31` heats the room up.
    """


@uplinks_group.command("up")
@NAME_OPTION
@click.option("--room-port", type=click.IntRange(1, 65535), default=16161, show_default=True,
              help="The loopback UDP port the server room's SNMP agent (snmpsim) listens on.")
@click.option("--write-config", "config_out", type=click.Path(dir_okay=False), default=None,
              help="Also add the [[devices]] tables that read them to this console configuration: the current "
                   "one (or this file itself, when it is the current one), in the current file's folder.")
@click.pass_obj
def uplinks_up(ctx, name: str, room_port: int, config_out: str | None) -> None:
    """Make the router with uplinks 1 and 2, its snmpd and traffic over uplink 1, and the server room."""
    from console.lab import uplinks

    made = uplinks.up(ctx.settings.paths.var_dir, name, room_port)
    router = made.router
    click.echo(f"lab {name}: router {router.router} at {router.address} (snmpd, IF-MIB), uplink 1 wan1 to ISP "
               f"{router.gateway(1)}, uplink 2 wan2 to ISP {router.gateway(2)}; traffic to {router.internet} "
               "takes uplink 1")
    click.echo(f"lab {name}: server room on SNMP 127.0.0.1:{made.room_port} (snmpsim), "
               f"{uplinks.ROOM_TEMPERATURE} °C; heat it up: ops lab room temperature 31 --name {name}")
    if config_out:
        path = _write_uplinks_config(ctx, made, config_out)
        click.echo(f"console configuration with the lab's uplinks and room: {path} (OPS_CONFIG={path})")


def _write_uplinks_config(ctx, made, config_out: str):
    import re

    from console.lab import uplinks

    # The file may be the one it starts from: its earlier uplinks block is replaced, not added to.
    target, base = _config_beside(ctx, config_out, may_replace_source=True)
    base = re.sub(rf"\n?{re.escape(UPLINKS_BEGIN)}.*?{re.escape(UPLINKS_END)}\n", "\n", base, flags=re.S)
    block = f"{UPLINKS_BEGIN}{uplinks.devices_toml(made)}{UPLINKS_END}\n"
    return _write_config_text(target, base.rstrip("\n") + "\n\n" + block)


@uplinks_group.command("down")
@NAME_OPTION
@click.pass_obj
def uplinks_down(ctx, name: str) -> None:
    """Stop snmpd, the traffic and the room's simulator; remove the namespaces and the folder."""
    from console.lab import uplinks

    removed = uplinks.down(ctx.settings.paths.var_dir, name)
    click.echo(f"lab {name}: uplinks and room removed ({len(removed)} items)" if removed else
               f"lab {name}: no uplinks to remove")


@uplinks_group.command("status")
@NAME_OPTION
@click.pass_obj
def uplinks_status(ctx, name: str) -> None:
    """Whether the router, its lines, snmpd, the traffic and the room's simulator are there."""
    from console.lab import uplinks

    found = uplinks.status(ctx.settings.paths.var_dir, name)
    if found is None:
        click.echo(f"lab {name}: no uplinks (ops lab uplinks up --name {name})")
        return
    click.echo(f"  router {found['router'] or 'MISSING'}  {found['address']}  snmpd "
               f"{'running' if found['snmpd'] else 'STOPPED'}  traffic {'running' if found['traffic'] else 'STOPPED'}")
    for number, up in found["lines"].items():
        click.echo(f"  uplink {number} (wan{number})  line {'up' if up else 'CUT'}")
    click.echo(f"  room  127.0.0.1:{found['room_port']}  " +
               (f"{found['room_temperature']} °C" if found["room"] else "STOPPED"))


@lab_group.group("uplink")
def uplink_group() -> None:
    """Cut or restore a line of the lab's uplinks: `ops lab uplink down 1` plays a failover."""


def _line_command(up: bool):
    @uplink_group.command("up" if up else "down",
                          help="Restore uplink NUMBER's line." if up else
                          "Cut uplink NUMBER's line (ip link set down at the ISP's end): traffic fails over.")
    @click.argument("number", type=click.IntRange(1, 2))
    @NAME_OPTION
    @click.pass_obj
    def command(ctx, number: int, name: str) -> None:
        from console.lab import uplinks

        uplinks.line(ctx.settings.paths.var_dir, name, number, up)
        click.echo(f"lab {name}: uplink {number}'s line " + ("restored" if up else "cut") +
                   "; the console sees it at the next poll of the uplinks (ops devices poll)")

    command.__name__ = f"uplink_{'up' if up else 'down'}"
    return command


uplink_line_up = _line_command(True)
uplink_line_down = _line_command(False)


@lab_group.group("room")
def room_group() -> None:
    """The lab's server room (snmpsim serving an APC environmental probe)."""


@room_group.command("temperature")
@click.argument("celsius", type=click.IntRange(-40, 80))
@NAME_OPTION
@click.pass_obj
def room_temperature(ctx, celsius: int, name: str) -> None:
    """Set the room's temperature (rewrites the snmprec file the simulator serves)."""
    from console.lab import uplinks

    uplinks.room_temperature(ctx.settings.paths.var_dir, name, celsius)
    click.echo(f"lab {name}: server room at {celsius} °C; the console sees it at the next poll of room-main "
               "(ops devices poll --device room-main)")
