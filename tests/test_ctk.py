"""The TM Forum conformance test kits (tests/ctk/, run by tools/ctk.py): vendored whole as SOURCES lists them,
configured for the demo catalog the way each kit's own runner does, and — where newman is installed (CI installs
it, and sets ODEDELTA_REQUIRE_NEWMAN=1 so that a missing newman fails) — every assertion of every kit passes
against ``odedelta serve``."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import ctk  # tools/ is no package: its directory is put on the path above


@pytest.mark.parametrize("name", sorted(ctk.KITS))
def test_each_kit_is_vendored_as_its_sources_say(name: str) -> None:
    folder = ROOT / "tests" / "ctk" / name
    sources = (folder / "SOURCES").read_text()
    listed = re.findall(r"^  (\S+)$", sources, re.M)
    present = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                     if p.is_file() and p.name not in ("SOURCES", "odedelta.json"))
    assert listed == present
    assert "TM FORUM" in (folder / "LICENSE").read_text().upper()
    assert re.search(r"^Commit: +[0-9a-f]{40}$", sources, re.M)


@pytest.mark.parametrize("name", sorted(ctk.KITS))
def test_the_kit_is_configured_as_its_runner_would(name: str, tmp_path: Path) -> None:
    kit = ctk.KITS[name]
    collection_path, environment_path = ctk.prepared(kit, "http://127.0.0.1:9", tmp_path)
    environment = json.loads(environment_path.read_text())
    [url] = [v["value"] for v in environment["values"] if v["key"] == kit.url_variable]
    assert url.startswith("http://127.0.0.1:9/tmf-api/")
    collection = json.loads(collection_path.read_text())
    original = json.loads((ROOT / "tests" / "ctk" / name / kit.collection).read_text())
    requests = [i["request"] for g in collection["item"] for i in g["item"]]
    assert len(requests) == sum(len(g["item"]) for g in original["item"])
    if kit.configured:
        config = json.loads((ROOT / "tests" / "ctk" / name / "odedelta.json").read_text())
        [(resource, spec)] = config["payloads"].items()
        assert json.loads(requests[0]["body"]["raw"]) == spec["POST"]["payload"]
        assert ctk.payload_errors(kit, resource, spec["POST"]["payload"]) == []
        assert all({h["key"] for h in r["header"]} == set(config["headers"]) for r in requests)
    else:  # the TMF679 kit's runner changes nothing but the URL
        assert collection == original


def test_a_payload_the_kit_would_refuse_is_named() -> None:
    assert ctk.payload_errors(ctk.KITS["tmf622"], "ProductOrder", {"productOrderItem": [{"id": "1"}]}) == [
        "'action' is a required property", "'relatedParty' is a required property"]


@pytest.mark.skipif(shutil.which("newman") is None and os.environ.get("ODEDELTA_REQUIRE_NEWMAN") != "1",
                    reason="newman is not installed (npm install -g newman@6.2.2)")
def test_every_assertion_of_every_kit_passes() -> None:
    process, base = ctk.start_server()
    try:
        outcomes = [ctk.run_kit(kit, base) for kit in ctk.KITS.values()]
    finally:
        ctk.stop_server(process)
    assert [(o.kit, o.passed, o.total, o.failures) for o in outcomes] == [
        (o.kit, o.total, o.total, []) for o in outcomes]
    assert all(o.total >= minimum for o, minimum in zip(outcomes, (160, 63, 39), strict=True))
