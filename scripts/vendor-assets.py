#!/usr/bin/python3
"""Copy the web assets the console serves itself (no CDN) into console/static/vendor/.

The packages and their versions are package-lock.json's (package.json says which, the lock pins
them with their sha512 integrity): each tarball is fetched from the npm registry, checked against
the lock's integrity, and the few files the console serves are taken out of it. Python's standard
library only, so a fresh machine needs no Node.js (Debian's npm brings about 330 packages).
The registry: npm_config_registry (npm's own setting) or https://registry.npmjs.org/.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "console" / "static" / "vendor"
# package -> (file in its tarball, name under console/static/vendor/); a LICENSE may be missing.
FILES = {
    "htmx.org": [("dist/htmx.min.js", "htmx.min.js"), ("LICENSE", "htmx.LICENSE")],
    "chart.js": [("dist/chart.umd.min.js", "chart.umd.min.js"), ("LICENSE.md", "chart.js.LICENSE.md")],
    "@picocss/pico": [("css/pico.min.css", "pico.min.css"), ("LICENSE.md", "pico.LICENSE.md")],
}
REQUIRED = {"htmx.min.js", "chart.umd.min.js", "pico.min.css"}


class AssetError(Exception):
    pass


def locked(lock_path: Path) -> dict[str, tuple[str, str]]:
    """package -> (version, integrity) from package-lock.json (lockfileVersion 2 or 3)."""
    try:
        packages = json.loads(lock_path.read_text(encoding="utf-8"))["packages"]
    except (OSError, ValueError, KeyError) as error:
        raise AssetError(f"{lock_path}: cannot read its 'packages' ({error})") from None
    found = {}
    for name in FILES:
        entry = packages.get(f"node_modules/{name}")
        if not entry or "version" not in entry or not str(entry.get("integrity", "")).startswith("sha512-"):
            raise AssetError(f"{lock_path}: packages.node_modules/{name}: no version or sha512 integrity")
        found[name] = (entry["version"], entry["integrity"])
    return found


def tarball_url(registry: str, name: str, version: str) -> str:
    return f"{registry.rstrip('/')}/{name}/-/{name.split('/')[-1]}-{version}.tgz"


def fetch(url: str, integrity: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
    except OSError as error:
        raise AssetError(f"{url}: {error}") from None
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != integrity:
        raise AssetError(f"{url}: sha512 {digest} is not package-lock.json's {integrity}")
    return data


def main() -> int:
    registry = os.environ.get("npm_config_registry") or os.environ.get("NPM_CONFIG_REGISTRY") \
        or "https://registry.npmjs.org/"
    temp = VENDOR.with_name(VENDOR.name + ".tmp")
    try:
        shutil.rmtree(temp, ignore_errors=True)
        temp.mkdir(parents=True)
        for name, (version, integrity) in locked(ROOT / "package-lock.json").items():
            url = tarball_url(registry, name, version)
            with tarfile.open(fileobj=io.BytesIO(fetch(url, integrity)), mode="r:gz") as tar:
                for member, target in FILES[name]:
                    try:
                        source = tar.extractfile(f"package/{member}")
                    except KeyError:
                        source = None
                    if source is None:
                        if target in REQUIRED:
                            raise AssetError(f"{url}: no package/{member} in the tarball")
                        continue
                    (temp / target).write_bytes(source.read())
    except AssetError as error:
        shutil.rmtree(temp, ignore_errors=True)
        print(f"vendor-assets: {error}", file=sys.stderr)
        return 1
    shutil.rmtree(VENDOR, ignore_errors=True)
    temp.rename(VENDOR)
    print("web assets: " + " ".join(sorted(p.name for p in VENDOR.iterdir())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
