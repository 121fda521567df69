from __future__ import annotations

import subprocess
import sys

import pytest

from odedelta.cli import main

from .conftest import DATA, DEMO


def test_check_prints_counts_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(DEMO), "--inventory", str(DEMO / "inventories" / "bob.json")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (f"{DEMO}: OK — 48 productOffering, 20 productSpecification, 49 productOfferingPrice, "
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
