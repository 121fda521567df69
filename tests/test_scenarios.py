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
    assert lines[-2:] == [f"rule coverage ({rules}, {executor}): 22 of 22 rules exercised", "60 passed, 0 failed"]
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
    assert f"{path}:8:5: unknown key 'expectt' — did you mean 'expect'? @ $.scenarios[0].expectt" in out[2]
    assert out[-1] == "0 passed, 1 failed"


def test_every_problem_of_a_scenario_file_at_once_each_at_its_key(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, """\
catalog: ..
scenarios:
  - name: two typos
    as_of: "2026-03-01T00:00:00Z"
    inventory: ../inventories/alice.json
    request:
      change_ofer: {product: F-1, to: po-fiber-300}
    expect:
      recuring: []
""")
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"FAIL  {path} :: (file)"
    assert out[2:4] == [
        f"        {path}:7:7: unknown request 'change_ofer'; expected one of change_offer, add, remove, modify, "
        "terminate, acquire, renew — did you mean 'change_offer'? @ $.scenarios[0].request.change_ofer",
        f"        {path}:9:7: unknown key 'recuring' — did you mean 'recurring'? @ $.scenarios[0].expect.recuring",
    ]
    assert out[-1] == "0 passed, 1 failed"


def test_no_scenario_found_is_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines() == ["0 passed, 0 failed"]


def test_demo_scenarios_pass_with_the_reference_executor_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "--executor", "reference", str(DEMO / "scenarios")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].endswith(", reference): 22 of 22 rules exercised") and lines[-1] == "60 passed, 0 failed"


# ------------------------------------------------------------------------- what a product manager owns (issue 13)


WRONG = """\
catalog: ..
rules: RULES_DIR
scenarios:
  - name: refusal reasons
    as_of: "2025-06-01T00:00:00Z"
    inventory: ../inventories/alice.json
    request: {change_offer: {product: A-1, to: po-mobile-s}}
    expect:
      refusal: [{code: business_only, rule: no-downgrade-first-6-months}]
  - name: lines
    as_of: "2026-06-01T00:00:00Z"
    inventory: ../inventories/bob.json
    request: {change_offer: {product: B-1, to: po-mobile-l}}
    expect:
      fees: [{name: Downgrade fee, amount: 12.00}]
      penalties: [{amount: 175.00, rule: terminate-under-commitment}]
      discounts: [{name: Loyalty discount}]
  - name: recommendation and term
    as_of: "2026-03-01T00:00:00Z"
    inventory: ../inventories/alice.json
    request: {change_offer: {product: F-1, to: po-fiber-300}}
    expect:
      recommendations: [{offering: po-streaming-vas, price: 12.00}, {offering: po-tv-basic}]
      terms: [{product: F-1, start: 2026-03-01}]
  - name: notices
    as_of: "2026-11-01T00:00:00Z"
    inventory: ../inventories/carol.json
    term_notices: true
    expect:
      notices: [{product: C-1, ends: 2026-12-02, at_end: renew}]
  - name: qualification
    as_of: "2025-06-01T00:00:00Z"
    inventory: ../inventories/alice.json
    qualify: {product: A-1}
    expect:
      only_listed_candidates: true
      qualification:
        - {offering: po-mobile-s, qualified: true}
        - {offering: po-mobile-l, price_difference: 11.00, penalties: 1.00, fees: 2.00, reasons: [vip_exception]}
  - name: a refusal that was not expected
    as_of: "2025-06-01T00:00:00Z"
    inventory: ../inventories/alice.json
    request: {change_offer: {product: A-1, to: po-mobile-s}}
""".replace("RULES_DIR", str(DEMO.parent.parent / "rules"))


def test_every_new_assertion_reports_its_difference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, WRONG)  # the rules directory named by an absolute path
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out
    for expected in [
        "refusal: expected reason business_only by rule no-downgrade-first-6-months, got downgrade_too_early by rule "
        "no-downgrade-first-6-months",
        "fees: expected a line 'Downgrade fee' 12.00; got 'Downgrade fee' 10.00 (rule:mobile-downgrade-fee, B-1)",
        "penalties: expected a line 175.00 rule:terminate-under-commitment; got 'Repayment of the device discount' "
        "175.00 (rule:device-discount-repayment, B-1)",
        "discounts: expected a line 'Loyalty discount'; got none",
        "recommendation po-streaming-vas: expected price 12.00, got 10.00",
        "recommendations: expected po-tv-basic, got ['po-streaming-vas']",
        "term of F-1: the change records no new term for it",
        "notice for C-1: expected ends 2026-12-02, got 2026-12-01",
        "notice for C-1: expected at_end renew, got migrate",
        "qualification of po-mobile-s: expected qualified True, got False",
        "qualification of po-mobile-l: expected price_difference 11.00, got 10.00",
        "qualification of po-mobile-l: expected penalties 1.00, got 0.00",
        "qualification of po-mobile-l: expected fees 2.00, got 0.00",
        "qualification of po-mobile-l: expected reasons ['vip_exception'] among []",
        "unexpected candidates: po-business-mobile, po-mobile-classic, po-mobile-xl",
        "refused: not eligible: Mobile S (po-mobile-s)",
    ]:
        assert expected in out, expected
    assert out.splitlines()[-1] == "0 passed, 6 failed"


def test_every_partner_assertion_reports_its_difference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = DEMO.parent.parent / "rules"
    path = _write(tmp_path, f"""\
catalog: ..
rules: {rules}
scenarios:
  - name: StreamMax removal, wrong on purpose
    as_of: "2026-03-01T00:00:00Z"
    inventory: ../inventories/alice.json
    request:
      change_offer: {{product: F-1, to: po-fiber-300}}
    partner_events:
      - {{supplier: org-streammax, state: failed, items: {{F-4: failed, F-9: failed}}, message: dispute}}
    expect:
      partner_orders:
        - supplier: org-streammax
          items: [{{product: F-4, action: modify}}, {{product: F-5}}]
        - supplier: org-streamco
      settlement:
        - {{kind: wholesale_before, amount: 7.00}}
        - {{kind: charge, rule: streamco-welcome-credit}}
      rollup: {{state: completed, items: {{F-4: completed}}, explanations: [outage], not_applied: 1}}
  - name: a sports pass month, wrong on purpose
    as_of: "2026-04-01T00:00:00Z"
    inventory: [{{id: S-1, productOffering: {{id: streamco-po-sports-pass}}}}]
    sla: {{product: S-1, metric: availability, measured: 98.7}}
    expect:
      sla: {{credit: 1.60, recharge: 1.00}}
  - name: a month within the SLA, wrong on purpose
    as_of: "2026-04-01T00:00:00Z"
    inventory: [{{id: S-1, productOffering: {{id: streamco-po-sports-pass}}}}]
    sla: {{product: S-1, metric: availability, measured: 99.9}}
    expect:
      sla: {{credit: 1.50}}
""")
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out
    for expected in [
        "partner order to org-streammax: item F-4 expected action modify, got delete",
        "partner order to org-streammax: no item for F-5",
        "partner orders: none to org-streamco (orders to: none)",
        "settlement: expected a line wholesale_before 7.00; got wholesale_before 6.00 org-streammax F-4 "
        "(catalog:pop-streaming-wholesale); charge 2.00 org-streammax F-4 (rule:streammax-deactivation-charge)",
        "settlement: expected a line charge streamco-welcome-credit; got",
        "partner event 1: no item for F-9",
        "roll-up: expected the customer order completed, got partial (inProgress → partial)",
        "roll-up: item F-4 expected completed, got failed",
        "roll-up: no explanation contains 'outage' (got ['StreamMax removal failed at StreamMax Ltd: dispute'])",
        "roll-up: expected 1 events not applied, got 0: []",
        "sla: expected credit 1.60, got 1.50",
        "sla: expected recharge 1.00, got 1.50",
        "sla: expected a credit, no sla_credit rule matched",
    ]:
        assert expected in out, expected
    assert out.splitlines()[-1] == "0 passed, 3 failed"


def test_a_scenario_asks_one_thing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, """\
catalog: ..
scenarios:
  - name: two questions
    as_of: "2026-03-01T00:00:00Z"
    request: {acquire: {offering: po-tv-basic}}
    term_notices: true
""")
    assert main(["test", str(path)]) == 1
    assert "a scenario asks one thing: request, qualify, term_notices or sla (found request, term_notices)" in \
        capsys.readouterr().out


def test_partner_keys_that_would_be_ignored_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, """\
catalog: ..
scenarios:
  - name: an sla expectation on a change
    as_of: "2026-03-01T00:00:00Z"
    inventory: ../inventories/alice.json
    request: {change_offer: {product: F-1, to: po-fiber-300}}
    expect: {sla: {credit: 1.00}}
  - name: items expected of an sla month
    as_of: "2026-03-01T00:00:00Z"
    inventory: ../inventories/alice.json
    sla: {product: F-4, metric: availability, measured: 90}
    expect: {items: [{product: F-4}], partner_orders: []}
  - name: own_state without a roll-up
    as_of: "2026-03-01T00:00:00Z"
    inventory: ../inventories/alice.json
    request: {change_offer: {product: F-1, to: po-fiber-300}}
    own_state: held
  - name: a state typo in an event
    as_of: "2026-03-01T00:00:00Z"
    inventory: ../inventories/alice.json
    request: {change_offer: {product: F-1, to: po-fiber-300}}
    partner_events: [{supplier: org-streammax, state: complete}]
""")
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out
    for expected in [
        "mine.yaml:3:5: expect.sla needs the scenario to ask sla",
        "mine.yaml:8:5: an sla scenario expects sla only (found items, partner_orders)",
        "mine.yaml:13:5: own_state is the reseller's items' state in a roll-up: it needs partner_events or "
        "expect.rollup",
        "mine.yaml:22:48: state cannot be 'complete': it is one of 'acknowledged'", "did you mean 'completed'?",
    ]:
        assert expected in out, expected


def test_results_stream_and_junit_xml_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import xml.etree.ElementTree as ElementTree

    from odedelta.adapters.scenario import Runner

    path = _write(tmp_path, WRONG)
    seen: list[str] = []
    run = Runner().run([DEMO / "scenarios" / "s1_structural.yaml", path], lambda o: seen.append(o.name))
    assert seen == [o.name for o in run.outcomes] and len(seen) == 1 + 6  # one call per scenario, in order

    report = tmp_path / "junit.xml"
    assert main(["test", str(path), str(DEMO / "scenarios" / "s1_structural.yaml"), "--junit-xml", str(report),
                 "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["passed"], data["failed"]) == (1, 6)
    assert data["scenarios"][0]["failures"][0].startswith("refusal: expected reason business_only")
    assert data["coverage"][0]["total"] == 22
    root = ElementTree.parse(report).getroot()  # the shape pytest --junit-xml writes and Jenkins/GitLab read
    assert root.tag == "testsuites" and (root.get("tests"), root.get("failures")) == ("7", "6")
    suites = root.findall("testsuite")
    assert [(Path(s.get("name", "")).name, s.get("tests"), s.get("failures")) for s in suites] == [
        ("mine.yaml", "6", "6"), ("s1_structural.yaml", "1", "0")]
    for suite in suites:
        assert {"name", "tests", "failures", "errors", "skipped", "time"} <= set(suite.attrib)
        for case in suite.findall("testcase"):
            assert {"classname", "name", "time"} <= set(case.attrib)
            float(case.get("time", ""))
    failure = suites[0].find("testcase/failure")
    assert failure is not None and failure.get("message", "").startswith("refusal: expected reason business_only")
    assert root.findtext("system-out", "").endswith("1 passed, 6 failed")


def test_text_output_prints_each_scenario_before_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(DEMO / "scenarios" / "s1_structural.yaml")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("PASS  ") and lines[-1] == "1 passed, 0 failed"


def test_committed_scenario_schema_is_current_and_validates_the_demo_scenarios() -> None:
    import json

    import jsonschema
    import yaml

    from odedelta.adapters.scenario import SCHEMA_FILE, json_schema

    committed = json.loads((DEMO / "scenarios" / SCHEMA_FILE).read_text())
    assert committed == json.loads(json.dumps(json_schema())), \
        "regenerate: odedelta schema --scenarios --write catalogs/demo/scenarios"
    validator = jsonschema.Draft202012Validator(committed)
    for path in sorted((DEMO / "scenarios").glob("*.yaml")):
        assert path.read_text().splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_FILE}", path
        data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        assert list(validator.iter_errors(data)) == [], path
    bad = {"catalog": "..", "scenarios": [{"name": "x", "as_of": "2026-01-01T00:00:00Z", "expect": {"fees": [
        {"amont": 1}]}}]}
    assert [e.message for e in validator.iter_errors(bad)] == [
        "Additional properties are not allowed ('amont' was unexpected)"]


def test_an_unknown_request_does_not_hide_the_scenarios_other_check(tmp_path: Path) -> None:
    from odedelta.adapters.scenario.reader import read_scenario_file
    from odedelta.model.errors import LoadError

    path = tmp_path / "s.yaml"
    path.write_text('catalog: ..\nscenarios:\n  - name: x\n    as_of: "2026-03-01T00:00:00Z"\n'
                    "    request:\n      change_ofer: {product: F-1}\n    qualify: {product: F-1}\n")
    with pytest.raises(LoadError) as refused:
        read_scenario_file(path)
    assert [str(p) for p in refused.value.problems] == [
        f"{path}:3:5: a scenario asks one thing: request, qualify, term_notices or sla (found request, qualify) "
        "@ $.scenarios[0]",
        f"{path}:6:7: unknown request 'change_ofer'; expected one of change_offer, add, remove, modify, terminate, "
        "acquire, renew — did you mean 'change_offer'? @ $.scenarios[0].request.change_ofer",
    ]
