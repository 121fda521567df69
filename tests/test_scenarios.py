"""`odedelta test`: the demo scenarios pass, failures show their differences, the closing line is exact."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from odedelta.adapters.cli import main

from .conftest import DEMO, durable


@pytest.mark.parametrize("executor", [None, "reference", "durable"])
def test_demo_scenarios_all_pass(capsys: pytest.CaptureFixture[str], executor: str | None) -> None:
    if executor == "durable":
        durable()  # the cross-check: durable-rules passes every scenario too (skipped on 3.13+ only)
    assert main(["test", str(DEMO / "scenarios"), *(["--executor", executor] if executor else [])]) == 0
    lines = capsys.readouterr().out.splitlines()
    rules = DEMO.parent.parent / "rules"
    executor = "durable-rules" if executor == "durable" else "reference"
    assert lines[-2:] == [f"rule coverage ({rules}, {executor}): 17 of 17 rules exercised", "44 passed, 0 failed"]
    assert all(line.startswith("PASS  ") for line in lines[:-2])


def _write(tmp_path: Path, body: str) -> Path:
    shutil.copytree(DEMO, tmp_path / "demo", ignore=shutil.ignore_patterns("scenarios"))
    path = tmp_path / "demo" / "scenarios" / "mine.yaml"
    path.parent.mkdir()
    path.write_text(body)
    return path


def test_a_failing_scenario_shows_every_difference_and_exits_1(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, """\
catalog: ..
scenarios:
  - name: wrong on purpose
    as_of: "2026-03-01T00:00:00Z"
    inventory: ../inventories/alice.json
    request:
      change_offer: {product: F-1, to: po-fiber-300}
    expect:
      only_listed_items: true
      items:
        - {product: F-2, action: noChange}
        - {product: F-3, action: noChange, reasons: [promotion_lost]}
        - {offering: po-static-ip, action: add}
      characteristics:
        F-2: {downloadSpeed: 500}
  - name: right
    as_of: "2026-03-01T00:00:00Z"
    inventory: ../inventories/alice.json
    request:
      remove: {product: A-4}
    expect:
      items: [{product: A-4, action: delete}]
""")
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"FAIL  {path} :: wrong on purpose",
        "      item F-2: expected action noChange, got modify",
        "      item F-3: expected reasons ['promotion_lost'] among ['kept']",
        "      item added po-static-ip: not in the result (added: nothing)",
        "      unexpected items: modify F-1 (po-fiber-300), delete F-4 (po-streaming-vas), "
        "noChange F-5 (po-security-vas)",
        "      characteristics of F-2: expected downloadSpeed=500, got 300",
        f"PASS  {path} :: right",
        "1 passed, 1 failed",
    ]


def test_a_refused_request_fails_unless_expected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, """\
catalog: ..
scenarios:
  - name: refused
    as_of: "2026-03-01T00:00:00Z"
    inventory: ../inventories/alice.json
    request:
      change_offer: {product: F-1, to: po-fiber-200-legacy}
""")
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1] == ("      refused: offering 'po-fiber-200-legacy' is not sellable: lifecycleStatus is 'Retired'; "
                      "its successor is 'po-fiber-300'")
    assert out[-1] == "0 passed, 1 failed"


def test_a_malformed_scenario_file_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, """\
catalog: ..
scenarios:
  - name: typo in a key
    as_of: "2026-03-01T00:00:00Z"
    inventory: ../inventories/alice.json
    request:
      change_offer: {product: F-1, to: po-fiber-300}
    expectt: {}
""")
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"FAIL  {path} :: (file)"
    assert f"{path}:8:5: Extra inputs are not permitted @ $.scenarios[0].expectt" in out[2]
    assert out[-1] == "0 passed, 1 failed"


def test_no_scenario_found_is_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines() == ["0 passed, 0 failed"]


def test_demo_scenarios_pass_with_the_reference_executor_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "--executor", "reference", str(DEMO / "scenarios")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].endswith(", reference): 17 of 17 rules exercised") and lines[-1] == "44 passed, 0 failed"


def test_scenario_files_point_editors_at_the_committed_schema_and_satisfy_it() -> None:
    import json

    import jsonschema
    import yaml

    from odedelta.adapters.scenario import SCHEMA_FILE, json_schema

    committed = json.loads((DEMO / "scenarios" / SCHEMA_FILE).read_text())
    assert committed == json.loads(json.dumps(json_schema())), "regenerate: odedelta schema --scenarios --write " \
                                                               "catalogs/demo/scenarios"
    validator = jsonschema.Draft202012Validator(committed)
    files = sorted((DEMO / "scenarios").glob("*.yaml"))
    assert len(files) >= 7  # the demo's S1–S9 files, and any added since
    for path in files:
        text = path.read_text()
        assert text.splitlines()[0] == "# yaml-language-server: $schema=scenarios-v1.schema.json", path
        assert [e.message for e in validator.iter_errors(yaml.safe_load(text))] == [], path
    broken = {"catalog": "..", "scenarios": [{"name": "x", "as_of": "2026-03-01T00:00:00Z", "inventory": [],
                                              "request": {"remove": {"product": "A"}}, "expect": {"itemz": []}}]}
    assert [e.validator for e in validator.iter_errors(broken)] == ["additionalProperties"]


def test_schema_write_scenarios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--scenarios", "--write", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 'scenarios-v1.schema.json'}\n"
    assert (tmp_path / "scenarios-v1.schema.json").read_text() == \
        (DEMO / "scenarios" / "scenarios-v1.schema.json").read_text()
