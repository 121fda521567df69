"""Run the official TM Forum conformance test kits (CTKs) against ``odedelta serve`` on the demo catalog.

The kits are vendored unmodified under tests/ctk/<kit>/ (see each SOURCES file). Each kit's own runner
(ctk/index.js) sets the API's base URL in its Postman environment and, for TMF622 and TMF663, the headers and the
POST payload from its config.json into the collection; this script does the same from our config,
tests/ctk/<kit>/odedelta.json (same shape as the kit's config.json: url, headers, payloads), on copies in a temporary
folder, then runs the collection with newman and reads newman's JSON report.

    python tools/ctk.py                  # the three kits; exit 1 unless every assertion of every kit passes
    python tools/ctk.py tmf679 --verbose # one kit, listing its failed assertions
    python tools/ctk.py --url http://127.0.0.1:8080   # against a server already running (nothing started)

Needs ``newman`` on PATH (``npm install -g newman@6.2.2``). The server it starts binds a free loopback port, serves
the demo catalog, rules and inventories with an in-memory store, and is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KITS_DIR = ROOT / "tests" / "ctk"
DEMO = ROOT / "catalogs" / "demo"


@dataclass(frozen=True)
class Kit:
    """One vendored kit: its collection and environment (paths in the kit), the environment variable its runner
    sets to the API's URL, and whether its runner puts config headers and the POST payload into the collection."""

    name: str
    collection: str
    environment: str
    url_variable: str
    configured: bool  # TMF622/TMF663 style: headers + first request's body from config


KITS = {
    "tmf679": Kit("tmf679", "ctk/CTK-TMF679-ProductOfferingQualification.postman_collection.json",
                  "ctk/TMForumR18.0.postman_environment.json", "ProductOfferingQualificationAPI", configured=False),
    "tmf622": Kit("tmf622", "ctk/TMF622-ProductOrdering-v4.0.0.testkit.json",
                  "ctk/TMFENV-V4.0.0.postman_environment.json", "Product_Ordering", configured=True),
    "tmf663": Kit("tmf663", "ctk/CTK-Shopping_Cart-4.0.0.postman_collection.json",
                  "ctk/TMFENV-V4.0.0.postman_environment.json", "Shopping_Cart", configured=True),
}


@dataclass(frozen=True)
class Outcome:
    kit: str
    passed: int
    total: int
    failures: list[str]

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.passed == self.total


def prepared(kit: Kit, base: str, into: Path) -> tuple[Path, Path]:
    """The collection and environment the kit's runner would produce for our config, written into ``into``."""
    folder = KITS_DIR / kit.name
    config = json.loads((folder / "odedelta.json").read_text())
    url = config["url"].replace("{base}", base.rstrip("/"))
    collection = json.loads((folder / kit.collection).read_text())
    environment = json.loads((folder / kit.environment).read_text())
    for value in environment["values"]:
        if value["key"] == kit.url_variable:
            value["value"] = url
    if kit.configured:  # as ctk/index.js: the config's headers on every request, its payload on the first POST
        headers = [{"key": k, "value": v} for k, v in config["headers"].items()]
        for group in collection["item"]:
            for item in group["item"]:
                item["request"]["header"] = headers
        resource, spec = next(iter(config["payloads"].items()))
        payload = spec["POST"]["payload"]
        problems = payload_errors(kit, resource, payload)
        if problems:  # the kit's runner refuses such a config too
            raise SystemExit(f"ctk: tests/ctk/{kit.name}/odedelta.json: {resource} payload: {'; '.join(problems)}")
        collection["item"][0]["item"][0]["request"]["body"]["raw"] = json.dumps(payload)
    paths = into / f"{kit.name}.collection.json", into / f"{kit.name}.environment.json"
    paths[0].write_text(json.dumps(collection))
    paths[1].write_text(json.dumps(environment))
    return paths


def payload_errors(kit: Kit, resource: str, payload: Any) -> list[str]:
    """What the kit's own runner checks of a config payload: valid against its ctk/schemas/<resource>.schema.json."""
    import jsonschema  # only here: the kits without a payload need nothing beyond the standard library

    schema = json.loads((KITS_DIR / kit.name / "ctk" / "schemas" / f"{resource}.schema.json").read_text())
    schema.pop("$schema", None)  # "http://json-schema.org/schema#": the latest draft, as the kit's validator reads it
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(payload)]


def run_kit(kit: Kit, base: str, newman: str = "newman") -> Outcome:
    """Run one kit with newman against ``base`` (scheme, host and port of the service)."""
    with tempfile.TemporaryDirectory(prefix=f"ctk-{kit.name}-") as work:
        collection, environment = prepared(kit, base, Path(work))
        report = Path(work) / "report.json"
        subprocess.run([newman, "run", str(collection), "-e", str(environment), "--insecure", "--reporters", "json",
                        "--reporter-json-export", str(report), "--timeout-request", "60000"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        if not report.exists():
            return Outcome(kit.name, 0, 0, ["newman wrote no report"])
        run = json.loads(report.read_text())["run"]
    total = run["stats"]["assertions"]["total"]
    failed = run["stats"]["assertions"]["failed"]
    failures = [f"{f['source'].get('name', '?')}: {f['error'].get('test', '')}: {f['error'].get('message', '')}"
                for f in run.get("failures", [])]
    return Outcome(kit.name, total - failed, total, failures)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    """``odedelta serve`` on the demo catalog, rules and inventories, on a free loopback port (no credentials: the
    kits send none, and an open server is refused off loopback)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "odedelta", "serve", "--catalog", str(DEMO), "--rules", str(ROOT / "rules"),
         "--inventory", str(DEMO / "inventories"), "--port", str(port), "--no-access-log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={k: v for k, v in os.environ.items()
                                                                  if k != "ODEDELTA_TOKEN"})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            told = process.stderr.read().decode() if process.stderr is not None else ""
            stop_server(process)
            raise SystemExit(f"odedelta serve exited {process.returncode}: {told}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=1) as answer:
                if answer.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    raise SystemExit("odedelta serve did not answer /health within 60 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    if process.stderr is not None:
        process.stderr.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kits", nargs="*", choices=[[], *KITS], default=[], metavar="KIT",
                        help=f"kits to run (default: all of {', '.join(KITS)})")
    parser.add_argument("--url", help="a running service's scheme, host and port (default: start one)")
    parser.add_argument("--newman", default="newman", help="the newman command (default: newman on PATH)")
    parser.add_argument("--verbose", action="store_true", help="list every failed assertion")
    args = parser.parse_args(argv)
    if shutil.which(args.newman) is None:
        print(f"ctk: {args.newman!r} not found; install it with: npm install -g newman@6.2.2", file=sys.stderr)
        return 2
    process, base = (None, args.url) if args.url else start_server()
    try:
        outcomes = [run_kit(KITS[name], base, args.newman) for name in (args.kits or KITS)]
    finally:
        if process is not None:
            stop_server(process)
    for outcome in outcomes:
        print(f"{outcome.kit}: {outcome.passed}/{outcome.total} assertions passed")
        if args.verbose or not outcome.complete:
            for failure in outcome.failures:
                print(f"  FAILED {failure}")
    return 0 if all(o.complete for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
