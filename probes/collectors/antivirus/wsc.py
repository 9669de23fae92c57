"""Windows Security Center: every antivirus product registered in root/SecurityCenter2.

Microsoft does not document productState; the reading used here is the
public one (neophob.com 2010, Idera PowerTips "Identifying Antivirus Engine
State" 2020): in the hex form 0xAABBCC, AA names the security provider, the
high nibble of BB is the scanner (1 on, 0 off, 2 snoozed, 3 expired; the low
nibble 1 marks Microsoft's own product) and CC is 0x00 when definitions are
up to date, 0x10 when they are out of date. Security Center exists only on
client Windows; on Windows Server the namespace is missing, reported as not
installed rather than as an error.
"""

from __future__ import annotations

import subprocess
from typing import Any, Callable

from probes.collectors import CollectorFailed
from probes.collectors.antivirus.defender import json_text, powershell_json

SCANNER = {0x0: "off", 0x1: "on", 0x2: "snoozed", 0x3: "expired"}
SIGNATURES = {0x00: True, 0x10: False}
NO_NAMESPACE = "invalid namespace"
MAX_PRODUCTS = 20


class WscProvider:
    """Security Center's view; the product it reports is the enabled one, else the first."""

    name = "wsc"
    script = ("Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct"
              " | Select-Object displayName,productState,timestamp | ConvertTo-Json")

    def __init__(self, run: Callable = subprocess.run, timeout: float = 60) -> None:
        self.run, self.timeout, self.answered = run, timeout, False

    def installed(self) -> bool:
        """Best knowledge: Security Center listed at least one product."""
        return self.answered

    def status(self) -> dict:
        try:
            data = powershell_json(self.run, self.script, "SecurityCenter2 AntiVirusProduct", self.timeout)
        except CollectorFailed as exc:
            if NO_NAMESPACE not in str(exc).lower():
                raise
            return {"provider": "wsc", "product": "", "installed": False,
                    "detail": "no root/SecurityCenter2 (Windows Server has no Security Center)"}
        products = data if isinstance(data, list) else [] if data is None else [data]
        self.answered = bool(products)
        return summarize([decode_product(product) for product in products[:MAX_PRODUCTS]])


def summarize(products: list[dict]) -> dict:
    """One report entry for all registered products, which stay listed under `products`."""
    if not products:
        return {"provider": "wsc", "product": "", "installed": False, "products": []}
    chosen = next((p for p in products if p["enabled"]), products[0])
    return {"provider": "wsc", "product": chosen["name"], "installed": True,
            "running": chosen["enabled"], "realtime_protection": chosen["enabled"],
            "signatures_up_to_date": chosen["up_to_date"], "products": products}


def decode_product(product: Any) -> dict:
    """displayName and the decoded productState of one AntiVirusProduct instance."""
    if not isinstance(product, dict):
        raise CollectorFailed(f"AntiVirusProduct: expected a JSON object, got {type(product).__name__}")
    state = product.get("productState")
    if isinstance(state, bool) or not isinstance(state, int) or not 0 <= state <= 0xFFFFFF:
        raise CollectorFailed(f"productState: expected a number up to 0xFFFFFF, got {str(state)[:40]!r}")
    scanner = SCANNER.get(state >> 12 & 0xF, "unknown")
    return {"name": json_text(product, "displayName"), "enabled": scanner == "on",
            "scanner": scanner, "up_to_date": SIGNATURES.get(state & 0xFF), "product_state": f"0x{state:06x}"}
