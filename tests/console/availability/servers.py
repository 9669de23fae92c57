"""Real servers the availability tests start inside a namespace: Python's ssl HTTPS servers and Debian's dnsmasq."""

from __future__ import annotations

import json
import sys

HOST = "portal.example.test"
# The HTTPS servers of the `servers` fixture: which certificate each port shows (tls12-only: the valid one, TLS 1.2 at
# most); port 80 is plain HTTP.
PORTS = {"valid": 443, "expiring": 8441, "expired": 8442, "wrong-name": 8443, "untrusted": 8444, "short-leaf": 8445,
         "tls12-only": 8446}

# One process, one HTTP(S) server per entry of the JSON in argv[1]: {"port", "cert", "key", "max_version"}.
# Paths: / answers 200 with a Vietnamese page, /error 500, /slow after 3 s, /big 8 MiB, /drip one byte every
# 0.2 s for a minute.
HTTPS_SERVER = r'''
import json, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/error":
            return self._answer(500, "lỗi".encode())
        if self.path == "/slow":
            time.sleep(3)
        if self.path == "/big":
            return self._answer(200, b"x" * (8 * 1024 * 1024))
        if self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(300):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
            return
        self._answer(200, "<h1>Cổng dịch vụ công trực tuyến</h1>".encode())

    def _answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

for spec in json.loads(sys.argv[1]):
    server = ThreadingHTTPServer((spec["address"], spec["port"]), Handler)
    server.daemon_threads = True
    if spec.get("cert"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(spec["cert"], spec["key"])
        if spec.get("max_version"):
            context.maximum_version = getattr(ssl.TLSVersion, spec["max_version"])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
'''


def start_https(net, specs: list[dict]):
    for spec in specs:
        spec.setdefault("address", net.address)
    return net.start([sys.executable, "-c", HTTPS_SERVER, json.dumps(specs)])


def start_dnsmasq(net, records: list[str]):
    """dnsmasq on the namespace's address, port 53, answering only `records` (--host-record / --txt-record args)."""
    import shutil
    import socket
    import time

    binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    process = net.start([binary, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                         "--bind-interfaces", f"--listen-address={net.address}", "--port=53", "--pid-file=",
                         "--user=root", "--log-facility=-", *records], ready=None)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # listening once a TCP connection to port 53 is accepted
        try:
            socket.create_connection((net.address, 53), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise AssertionError("dnsmasq did not start listening")
