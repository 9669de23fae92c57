"""One of the lab's web servers (console/lab/services.py), run inside the lab's services namespace.

    python -m console.lab.service_server '{"address": ..., "port": 80, "root": DIR}'
    python -m console.lab.service_server '{"address": ..., "port": 443, "root": DIR, "cert": F, "key": F,
                                           "resolve": "db.stnmt.lab", "dns_server": ADDRESS}'

Plain: serves `root` (Python's http.server). With `resolve`: the one-stop-shop
system, whose page needs its database's name resolved through `dns_server`
(dnspython) at every request, and answers 503 naming the failure when it is
not. Runs until SIGTERM.
"""

from __future__ import annotations

import functools
import json
import ssl
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

RESOLVE_TIMEOUT_SECONDS = 2.0


class PortalHandler(SimpleHTTPRequestHandler):
    resolve = ""
    dns_server = ""

    def log_message(self, format, *args):  # noqa: A002 (http.server's name)
        pass

    def do_GET(self):  # noqa: N802 (http.server's name)
        if not self.resolve:
            return super().do_GET()
        import dns.exception
        import dns.resolver

        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [self.dns_server]
        resolver.lifetime = RESOLVE_TIMEOUT_SECONDS
        try:
            database = resolver.resolve(self.resolve, "A")[0].to_text()
        except (dns.exception.DNSException, OSError) as exc:
            return self._answer(503, f"<h1>Hệ thống Một cửa: không tìm thấy cơ sở dữ liệu</h1>"
                                     f"<p>{self.resolve}: {type(exc).__name__}</p>\n")
        return self._answer(200, f"<h1>Hệ thống Một cửa (lab)</h1><p>cơ sở dữ liệu {self.resolve} = {database}</p>\n")

    def _answer(self, status: int, html: str) -> None:
        body = ("<!doctype html><meta charset=utf-8>" + html).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass


def main(argv: list[str]) -> None:
    spec = json.loads(argv[0])
    handler = type("Handler", (PortalHandler,), {"resolve": spec.get("resolve", ""),
                                                 "dns_server": spec.get("dns_server", "")})
    server = ThreadingHTTPServer((spec["address"], spec["port"]), functools.partial(handler, directory=spec["root"]))
    server.daemon_threads = True
    if spec.get("cert"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(spec["cert"], spec["key"])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"serving on {spec['address']}:{spec['port']}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
