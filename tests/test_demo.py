"""`odedelta demo` and `odedelta.demo`: the README's main job on the demo files, found in a clone or a wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import odedelta
from odedelta import demo
from odedelta.adapters.cli import main

from .conftest import DEMO, ROOT


def test_in_a_clone_the_demo_is_the_repository_s_folders() -> None:
    # an editable install has no odedelta/_demo (force-include maps the folders into the wheel only)
    assert demo.catalog_path() == DEMO
    assert demo.rules_path() == ROOT / "rules"
    assert demo.scenarios_path() == DEMO / "scenarios"
    assert demo.inventory_path("frank") == DEMO / "inventories" / "frank.json"
    with pytest.raises(odedelta.OdeDeltaError, match=r"^no demo customer 'zoe': expected one of alice, bob, carol, "
                                                     r"dave, erin, frank$"):
        demo.inventory_path("zoe")


def test_demo_prints_the_same_report_as_the_change_it_stands_for(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["change", "--catalog", str(DEMO), "--rules", str(ROOT / "rules"), "--inventory",
                 str(DEMO / "inventories" / "alice.json"), "--product", "F-1", "--to", "po-fiber-300",
                 "--as-of", "2026-03-01T00:00:00Z"]) == 0
    expected = capsys.readouterr().out
    assert main(["demo"]) == 0
    assert capsys.readouterr().out == expected
    # the downgrade loses the promotion that made StreamMax free, and says what it costs
    assert expected.splitlines()[:4] == [
        "Change F-1 from Fiber 500 (po-fiber-500) to Fiber 300 (po-fiber-300) — as of 2026-03-01T00:00:00Z",
        "",
        "Monthly: 54.00 EUR → 44.00 EUR (-10.00 EUR)",
        "Due now: 60.00 EUR (of which penalties 60.00 EUR)",
    ]
    assert "  - StreamMax included with Fiber 500 and 1000 (promo-fiber-free-streaming): 10.00 EUR/month" in expected


def test_demo_from_python_and_as_json() -> None:
    result = demo.run()
    assert [(i.product_id, i.action.value) for i in result.items] == [
        ("F-1", "modify"), ("F-2", "modify"), ("F-3", "noChange"), ("F-4", "delete"), ("F-5", "noChange")]
    assert result.consequences is not None
    assert result.consequences.promotion_ids("lost") == ["promo-fiber-free-streaming"]
    assert result.consequences.penalty_total.amount == 60


def test_demo_path_runs_with_odedelta_test_from_any_directory(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    where = subprocess.run([sys.executable, "-m", "odedelta", "demo", "--path"], capture_output=True, text=True,
                           check=True, cwd=tmp_path, env=env)
    assert where.stdout == f"{DEMO}\n"
    done = subprocess.run([sys.executable, "-m", "odedelta", "test", where.stdout.strip()], capture_output=True,
                          text=True, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "60 passed, 0 failed"
    as_json = subprocess.run([sys.executable, "-m", "odedelta", "demo", "--format", "json"], capture_output=True,
                             text=True, check=True, cwd=tmp_path, env=env)
    assert [i["action"] for i in json.loads(as_json.stdout)["items"]] == [
        "modify", "modify", "noChange", "delete", "noChange"]
