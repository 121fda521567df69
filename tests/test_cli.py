from __future__ import annotations

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
    assert err[0] == f"error: {DATA / 'broken_catalog'}: the catalog has 17 problem(s)"
    assert len(err) == 18
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
    import json

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
        (["--terminate", "F-1", "--as-of", "yesterday"],
         "error: --as-of 'yesterday' is not an ISO-8601 date-time (e.g. 2026-03-01T00:00:00Z)"),
    ],
)
def test_change_refusals_exit_1_with_one_line(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    base = ["change", "--catalog", str(DEMO), "--inventory", str(DEMO / "inventories" / "alice.json")]
    if "--as-of" not in args:
        args = [*args, "--as-of", "2026-03-01T00:00:00Z"]
    assert main([*base, *args]) == 1
    assert capsys.readouterr().err.splitlines() == [message]
