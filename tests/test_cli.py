from __future__ import annotations

import json
import subprocess
import sys

import pytest

from odedelta.adapters.cli import main

from .conftest import DATA, DEMO


def test_check_prints_counts_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(DEMO), "--inventory", str(DEMO / "inventories" / "bob.json")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (f"{DEMO}: OK — 51 productOffering, 23 productSpecification, 58 productOfferingPrice, "
                      "8 category, 5 promotion")
    assert out[1] == f"{DEMO / 'inventories' / 'bob.json'}: OK — 4 products, 2 top-level"


def test_check_lists_every_problem_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(DATA / "broken_catalog")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"error: {DATA / 'broken_catalog'}: the catalog has 16 problem(s)"
    assert len(err) == 17
    assert f"  {DATA / 'broken_catalog' / 'productOffering.json'}:6:30: unknown productSpecification 'ps-acess'" \
           " — did you mean 'ps-access'? @ $[0].productSpecification.id" in err


def test_console_script_help_names_every_command() -> None:
    done = subprocess.run([sys.executable, "-m", "odedelta", "--help"], capture_output=True, text=True, check=True)
    assert "check" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "odedelta", "nonsense"], capture_output=True, text=True)
    assert bad.returncode == 2


def test_change_prints_the_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["change", "--catalog", str(DEMO), "--inventory", str(DEMO / "inventories" / "frank.json"),
                 "--product", "G-1", "--to", "po-mobile-s", "--as-of", "2026-03-01T00:00:00Z"])
    assert code == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ("Change G-1 from Mobile L (po-mobile-l) to Mobile S (po-mobile-s) — as of "
                                   "2026-03-01T00:00:00Z")
    assert "Removed (1):\n  - Extra data 10 GB [G-5]\n      Mobile S allows fewer Extra data 10 GB than installed " \
           "(cardinality_exceeded; catalog:po-mobile-s)\n" in out


def test_change_emits_json_and_tmf622(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["change", "--catalog", str(DEMO), "--inventory", str(DEMO / "inventories" / "alice.json"),
            "--as-of", "2026-03-01T00:00:00Z", "--add", "po-static-ip", "--parent", "F-1", "--set", "ipVersion=IPv6"]
    assert main([*base, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [(i["action"], i["product"], i["offering"]) for i in result["items"]] == [
        ("noChange", "F-1", "po-fiber-500"), ("add", "NEW-1", "po-static-ip")]
    assert result["items"][1]["characteristics"] == {"ipVersion": "IPv6"}
    assert result["items"][1]["prices"] == [
        {"pop": "pop-static-ip", "name": "Static IP", "type": "recurring", "amount": 5.00, "currency": "EUR"},
        {"pop": "pop-static-ip-setup", "name": "Static IP setup", "type": "oneTime", "amount": 15.00,
         "currency": "EUR"},
    ]
    assert main([*base, "--format", "tmf622", "--tmf-version", "5"]) == 0
    order = json.loads(capsys.readouterr().out)
    assert order["productOrderItem"][1]["action"] == "add"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--product", "F-1", "--to", "po-mobile-classic"],
         "error: offering 'po-mobile-classic' is not sellable: lifecycleStatus is 'Retired'; its successor is "
         "'po-mobile-m'"),
        (["--product", "QQ-77", "--to", "po-fiber-300"], "error: no installed product 'QQ-77'"),
    ],
)
def test_change_refusals_exit_1_with_one_line(capsys: pytest.CaptureFixture[str], args: list[str],
                                              message: str) -> None:
    base = ["change", "--catalog", str(DEMO), "--inventory", str(DEMO / "inventories" / "alice.json")]
    if "--as-of" not in args:
        args = [*args, "--as-of", "2026-03-01T00:00:00Z"]
    assert main([*base, *args]) == 1
    assert capsys.readouterr().err.splitlines() == [message]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--terminate", "F-1", "--as-of", "yesterday"],
         "error: --as-of 'yesterday' is not an ISO-8601 date-time (e.g. 2026-03-01T00:00:00Z)"),
        (["--to", "po-fiber-300"], "error: --to needs --product (the installed product to change)"),
        (["--add", "po-static-ip", "--set", "ipVersion"], "error: --set 'ipVersion': expected NAME=VALUE or "
                                                           "KEY:NAME=VALUE"),
        ([], "error: say what to change: --product ID --to OFFERING, --product ID --set NAME=VALUE, --add, --remove, "
             "--terminate or --acquire"),
    ],
)
def test_usage_errors_exit_2_like_argparse(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    base = ["change", "--catalog", str(DEMO), "--inventory", str(DEMO / "inventories" / "alice.json")]
    if "--as-of" not in args:
        args = [*args, "--as-of", "2026-03-01T00:00:00Z"]
    assert main([*base, *args]) == 2
    assert capsys.readouterr().err.splitlines() == [message]
    with pytest.raises(SystemExit) as argparse_exit:
        main([*base, "--format", "yaml"])
    assert argparse_exit.value.code == 2


def test_without_as_of_now_is_used_and_said_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime

    before = datetime.now(UTC).replace(microsecond=0)
    assert main(["change", "--catalog", str(DEMO), "--rules", str(DEMO.parent.parent / "rules"), "--inventory",
                 str(DEMO / "inventories" / "alice.json"), "--remove", "A-4"]) == 0
    captured = capsys.readouterr()
    note = captured.err.splitlines()
    assert len(note) == 1 and note[0].startswith("note: no --as-of given: using now, ")
    used = datetime.fromisoformat(note[0].rsplit(" ", 1)[1].replace("Z", "+00:00"))
    assert before <= used <= datetime.now(UTC)
    assert f"as of {note[0].rsplit(' ', 1)[1]}" in captured.out.splitlines()[0]


@pytest.mark.parametrize(("file", "what"), [("productOffering.json", "TMF620 productOffering"),
                                            ("promotion.json", "TMF671 promotion")])
def test_a_catalog_file_given_as_inventory_is_refused(capsys: pytest.CaptureFixture[str], file: str,
                                                      what: str) -> None:
    path = DEMO / file
    assert main(["change", "--catalog", str(DEMO), "--inventory", str(path), "--remove", "F-4",
                 "--as-of", "2026-03-01T00:00:00Z"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: {path}: this is a {what} list, not TMF637 products (an inventory lists a customer's installed "
        "products)",
        f"  {path}:1:1: found {what} resources, expected TMF637 products",
    ]


def test_check_writes_json(capsys: pytest.CaptureFixture[str]) -> None:
    rules = DEMO.parent.parent / "rules"
    bob = DEMO / "inventories" / "bob.json"
    assert main(["check", str(DEMO), str(rules), "--inventory", str(bob), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "ok": True,
        "checked": [
            {"file": str(DEMO), "kind": "catalog",
             "counts": {"productOffering": 51, "productSpecification": 23, "productOfferingPrice": 58, "category": 8,
                        "promotion": 5}},
            {"file": str(rules), "kind": "rules", "rules": 22, "executor": "reference"},
            {"file": str(bob), "kind": "inventory", "products": 4},
        ],
        "problems": [],
        "warnings": [],
    }


def test_check_problems_as_json_objects_for_editors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(DATA / "broken_catalog"), "--format", "json"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["ok"] is False and report["checked"] == []
    assert len(report["problems"]) == 16
    assert {"file": str(DATA / "broken_catalog" / "productOffering.json"), "line": 6, "column": 30,
            "path": "$[0].productSpecification.id", "message": "unknown productSpecification 'ps-acess'",
            "suggestion": "did you mean 'ps-access'?"} in report["problems"]


def test_a_refused_change_writes_a_json_error_object(capsys: pytest.CaptureFixture[str]) -> None:
    rules = DEMO.parent.parent / "rules"
    assert main(["change", "--catalog", str(DEMO), "--rules", str(rules), "--inventory",
                 str(DEMO / "inventories" / "alice.json"), "--product", "A-1", "--to", "po-mobile-s",
                 "--as-of", "2025-06-01T00:00:00Z", "--format", "json"]) == 1
    captured = capsys.readouterr()
    error = json.loads(captured.out)["error"]
    assert error["type"] == "NotEligible" and error["exitCode"] == 1 and error["problems"] == []
    assert [r["rule"] for r in error["rules"]] == ["no-downgrade-first-6-months"]
    assert error["rules"][0]["reason"] == "downgrade_too_early"
    assert captured.err.startswith(f"error: {error['message']}")
    assert main(["change", "--catalog", str(DEMO), "--remove", "A-4", "--as-of", "2026-03-01T00:00:00Z",
                 "--format", "tmf622"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["message"] == "no installed product 'A-4'"


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    import odedelta

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"odedelta {version('odedelta')}\n"
    assert odedelta.__version__ == version("odedelta")
