"""Campaigns: one change template over a generated customer base, on every engine, checked against single changes."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from distributed import LocalCluster

import odedelta
from odedelta import ChangeOffer, Engine, Inventory, NotEligible, RequestError, apply
from odedelta.adapters.cli import main
from odedelta.campaigns import (
    CampaignError,
    ChangeOffering,
    Renewal,
    Termination,
    compare,
    engines,
    generate,
    run,
    worker,
)
from odedelta.campaigns.progress import Progress

from .conftest import DEMO, ROOT

RULES = ROOT / "rules"
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
DOWNGRADE = ChangeOffering("po-mobile-l", "po-mobile-s")
FILES = ("summary.json", "customers.parquet", "items.parquet", "orders.jsonl", "report.html")
BROKEN = [
    "{not json\n",
    json.dumps({"customer": "BROKEN-unknown-offering", "products": [
        {"id": "X-1", "productOffering": {"id": "po-does-not-exist"}, "@type": "Product"}]}) + "\n",
    json.dumps({"customer": "BROKEN-no-id", "products": [{"productOffering": {"id": "po-mobile-l"}}]}) + "\n",
    json.dumps({"customer": "BROKEN-segment", "products": [], "billingCycleDay": 40}) + "\n",
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, demo: odedelta.Catalog) -> Path:
    """240 generated customers, half of them on Mobile L, with four broken lines among them."""
    path = tmp_path_factory.mktemp("base") / "customers.jsonl"
    generate.write_jsonl(path, generate.customers(demo, 240, as_of=AS_OF, seed=3, favour="po-mobile-l"))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for n, line in enumerate(BROKEN):
        lines.insert(50 * n + 7, line)
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def inline(base: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("inline")
    return out, run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=out, rules=RULES, orders=True, workers=0,
                    partition_size=7)


def _same_files(a: Path, b: Path) -> None:
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_local_processes_and_a_dask_cluster_write_the_same_bytes(base: Path, inline: tuple[Path, Any],
                                                                  tmp_path: Path) -> None:
    reference, result = inline
    run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=tmp_path / "local", rules=RULES, orders=True, workers=2,
        partition_size=50)
    _same_files(reference, tmp_path / "local")
    key = (result.manifest["inputs"]["catalog"]["sha256"], result.manifest["inputs"]["rules"]["sha256"])
    before = worker.LOADS[key]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": ":0"}, silence_logs=logging.ERROR) as cluster:
        run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=tmp_path / "dask", rules=RULES, orders=True, engine="dask",
            scheduler=cluster.scheduler_address, partition_size=11)
    _same_files(reference, tmp_path / "dask")
    # 23 partitions on two worker threads of this process: the catalog was read at most once per thread
    assert worker.LOADS[key] - before <= 2
    assert result.summary["customers"] == 244


def test_a_single_threaded_driver_forks_its_workers_and_writes_the_same_bytes(base: Path, inline: tuple[Path, Any],
                                                                            tmp_path: Path) -> None:
    # a fresh driver runs one thread: its two workers are forked (they inherit the catalog and rules it read); this
    # test process runs threads (pyarrow's at least), so its own pools are spawned
    script = (f"from odedelta.campaigns import engines, run, ChangeOffering\n"
              f"from datetime import datetime, UTC\n"
              f"run({str(DEMO)!r}, {str(base)!r}, ChangeOffering('po-mobile-l', 'po-mobile-s'), "
              f"as_of=datetime(2026, 3, 1, tzinfo=UTC), out={str(tmp_path / 'forked')!r}, rules={str(RULES)!r}, "
              f"orders=True, workers=2, partition_size=50)\n"
              f"print(dict(engines.STARTS))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'fork': 1}"
    _same_files(inline[0], tmp_path / "forked")
    assert engines._context().get_start_method() == "spawn"


def test_a_driver_over_its_budget_sorts_runs_on_disk_and_writes_the_same_bytes(
        base: Path, inline: tuple[Path, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from odedelta.campaigns import runs

    spilled: list[int] = []
    write = runs.Runs._write

    def counting(self: runs.Runs, rows: Any) -> Path:
        spilled.append(1)
        return write(self, rows)

    monkeypatch.setattr(runs.Runs, "_write", counting)
    monkeypatch.setattr(runs, "FAN_IN", 4)  # merge runs on the way too
    reference, result = inline
    small = run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=tmp_path, rules=RULES, orders=True, workers=0,
                partition_size=5, budget=9)
    _same_files(reference, tmp_path)
    # 244 customers, 9 a run: 28 runs of each of the three streams, the two smaller merged whenever there are 4
    assert len(spilled) > 3 * 28
    # the scratch runs and the checkpoints are gone; the manifest is there
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*FILES, "_manifest.json"])
    assert small.summary == result.summary and small.customers == result.customers
    assert len(small.orders) == small.summary["requests"]


def test_the_summary_is_the_sum_of_single_engine_changes(base: Path, demo: odedelta.Catalog,
                                                         inline: tuple[Path, Any]) -> None:
    _, result = inline
    engine = Engine(demo, odedelta.load_rules(RULES, demo))
    status: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    before = after = fees = penalties = Decimal(0)
    lost: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    for line in base.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            inventory = Inventory.from_document(demo, record["products"], "x")
            context = odedelta.Context(segment=record.get("segment"), attributes=record.get("attributes", {}),
                                       billing_cycle_day=record.get("billingCycleDay"))
            engine.check(context)
        except (ValueError, odedelta.OdeDeltaError):
            status["error"] += 1
            continue
        products = sorted(p for p, product in inventory.products.items() if product.offering_id == "po-mobile-l")
        if not products:
            status["unchanged"] += 1
            continue
        try:
            results = []
            for pid in products:
                results.append(engine.change(inventory, ChangeOffer(product=pid, to="po-mobile-s"), as_of=AS_OF,
                                             context=context))
                inventory = Inventory.from_products(demo, apply(inventory, results[-1]))
        except NotEligible as exc:
            status["refused"] += 1
            refused.update({r.reason for r in exc.verdict.reasons})
            continue
        except RequestError:
            status["refused"] += 1
            refused["request_refused"] += 1
            continue
        status["changed"] += 1
        c0, c1 = results[0].consequences, results[-1].consequences
        assert c0 is not None and c1 is not None
        before += c0.recurring_before.amount
        after += c1.recurring_after.amount
        for r in results:
            assert r.consequences is not None
            fees += sum((c.amount.amount for c in r.consequences.charges_of("fee")), Decimal(0))
            penalties += r.consequences.penalty_total.amount
            actions.update(i.action.value for i in r.items)
        kept_after = set(c1.promotion_ids("kept")) | set(c1.promotion_ids("gained"))
        lost.update(set(c0.promotion_ids("lost")) | set(c0.promotion_ids("kept")) - kept_after)
    summary = result.summary
    assert (summary["changed"], summary["unchanged"], summary["refused"]["total"], summary["errors"]["total"]) == (
        status["changed"], status["unchanged"], status["refused"], status["error"])
    assert status["changed"] > 50 and status["refused"] > 10  # the campaign exercises changes and refusals
    assert summary["refused"]["byReason"] == dict(sorted(refused.items()))
    assert summary["recurring"]["EUR"] == {"before": before, "after": after, "difference": after - before}
    assert summary["fees"]["EUR"] == fees and fees > 0
    assert summary["penalties"]["EUR"] == penalties
    assert summary["actions"] == dict(sorted(actions.items()))
    assert summary["promotions"]["lost"] == dict(sorted(lost.items()))


def test_every_customer_is_one_row_and_a_broken_one_is_a_located_error(base: Path, inline: tuple[Path, Any]) -> None:
    out, result = inline
    table = pq.read_table(out / "customers.parquet").to_pylist()
    lines = [line for line in base.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(table) == len(lines) == result.summary["customers"]
    assert [row["customer"] for row in table] == sorted(row["customer"] for row in table)
    errors = {row["customer"]: row for row in table if row["status"] == "error"}
    assert sorted(errors) == ["BROKEN-no-id", "BROKEN-segment", "BROKEN-unknown-offering", "customers.jsonl:8"]
    assert errors["customers.jsonl:8"]["message"].startswith(f"{base}:8: cannot parse")
    assert "invalid JSON: Expecting property name" in errors["customers.jsonl:8"]["message"]
    # located as file:line, the position inside the line in its own column (never file:8:1:2)
    assert errors["customers.jsonl:8"]["source"] == f"{base}:8" and errors["customers.jsonl:8"]["position"] == 2
    assert f"{base}:8:1" not in errors["customers.jsonl:8"]["message"]
    assert "(position 2)" in errors["customers.jsonl:8"]["message"]
    assert "po-does-not-exist" in errors["BROKEN-unknown-offering"]["message"]
    where = next(n for n, line in enumerate(lines, 1) if "BROKEN-unknown-offering" in line)
    assert f"{base}:{where}: " in errors["BROKEN-unknown-offering"]["message"]
    unknown = errors["BROKEN-unknown-offering"]
    assert unknown["source"] == f"{base}:{where}"  # the position of the offering id inside that line
    assert lines[where - 1][unknown["position"] - 1:].startswith('"id": "po-does-not-exist"')
    assert "$[0]" in errors["BROKEN-no-id"]["message"] and "'id'" in errors["BROKEN-no-id"]["message"]
    assert errors["BROKEN-segment"]["reasons"] == ["input"]
    assert result.summary["errors"]["byKind"] == {"input": 2, "inventory": 2}
    items = pq.read_table(out / "items.parquet").to_pylist()
    changed = {row["customer"]: row["items"] for row in table if row["status"] == "changed"}
    assert Counter(item["customer"] for item in items) == Counter(changed)
    orders = (out / "orders.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(orders) == sum(row["requests"] for row in table if row["status"] == "changed")
    first = json.loads(orders[0])
    assert first["@type"] == "ProductOrder" and first["relatedParty"][0]["id"] == min(changed)


def test_money_columns_are_exact_decimals(inline: tuple[Path, Any]) -> None:
    out, result = inline
    rows = pq.read_table(out / "customers.parquet").to_pylist()
    changed = [row for row in rows if row["status"] == "changed"]
    assert sum(row["recurring_after"] for row in changed) == result.summary["recurring"]["EUR"]["after"]
    assert all(isinstance(row["fees"], Decimal) for row in changed)
    assert all(row["recurring_before"] is None for row in rows if row["status"] != "changed")


def test_a_directory_of_tmf637_files_and_json_lines_give_the_same_rows(demo: odedelta.Catalog, tmp_path: Path) -> None:
    folder = tmp_path / "inventories"
    folder.mkdir()
    records = list(generate.customers(demo, 30, as_of=AS_OF, seed=5, favour="po-fiber-500"))
    for record in records:
        (folder / f"{record['customer']}.json").write_text(json.dumps(record["products"]), encoding="utf-8")
    bare = [{"customer": r["customer"], "products": r["products"]} for r in records]
    generate.write_jsonl(tmp_path / "customers.jsonl", iter(bare))
    template = ChangeOffering("po-fiber-500", "po-fiber-1000")
    a = run(DEMO, folder, template, as_of=AS_OF, out=tmp_path / "a", rules=RULES, workers=0)
    b = run(DEMO, tmp_path / "customers.jsonl", template, as_of=AS_OF, out=tmp_path / "b", rules=RULES, workers=0)
    assert a.summary == b.summary and a.summary["changed"] >= 10
    assert [{k: v for k, v in row.items() if k != "source"} for row in a.customers] == [
        {k: v for k, v in row.items() if k != "source"} for row in b.customers]
    assert (tmp_path / "a" / "items.parquet").read_bytes() == (tmp_path / "b" / "items.parquet").read_bytes()


def test_a_broken_file_of_a_directory_is_located_by_line(tmp_path: Path) -> None:
    folder = tmp_path / "inventories"
    folder.mkdir()
    for file in (DEMO / "inventories").iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    (folder / "zed.yaml").write_text("- id: Z-1\n  productOffering: {id: po-fiber-300}\n- id: Z-1\n"
                                     "  productOffering: {id: po-fiber-300}\n", encoding="utf-8")
    result = run(DEMO, folder, ChangeOffering("po-fiber-200-legacy", "po-fiber-300"), as_of=AS_OF,
                 out=tmp_path / "out", rules=RULES, workers=0)
    rows = {row["customer"]: row for row in result.customers}
    assert sorted(rows) == ["alice", "bob", "carol", "dave", "erin", "frank", "zed"]
    assert rows["carol"]["status"] == "changed"
    assert (rows["carol"]["recurring_before"], rows["carol"]["recurring_after"]) == (Decimal("35.00"),
                                                                                     Decimal("40.00"))
    assert rows["zed"]["status"] == "error" and f"{folder / 'zed.yaml'}:3" in rows["zed"]["message"]
    assert (rows["zed"]["source"], rows["zed"]["position"]) == (f"{folder / 'zed.yaml'}:3", 3)
    assert "duplicate product id 'Z-1'" in rows["zed"]["message"]


def test_terminate_and_renew_templates(base: Path, tmp_path: Path) -> None:
    ended = run(DEMO, base, Termination("po-mobile-l"), as_of=AS_OF, out=tmp_path / "t", rules=RULES, workers=0)
    assert ended.summary["changed"] > 50 and set(ended.summary["actions"]) == {"delete"}
    assert all(row["recurring_after"] < row["recurring_before"] for row in ended.customers
               if row["status"] == "changed")
    renewed = run(DEMO, base, Renewal("po-mobile-l"), as_of=AS_OF, out=tmp_path / "r", rules=RULES, workers=0)
    assert renewed.summary["changed"] + renewed.summary["refused"]["total"] == ended.summary["changed"] + \
        ended.summary["refused"]["total"]
    assert renewed.summary["changed"] > 0


def test_a_rule_set_comparison_counts_the_customers_whose_outcome_differs(base: Path, tmp_path: Path) -> None:
    comparison = compare(DEMO, base, DOWNGRADE, rules_a=None, rules_b=RULES, as_of=AS_OF, out=tmp_path, workers=0)
    written = json.loads((tmp_path / "comparison.json").read_text(encoding="utf-8"))
    assert written["differ"] == comparison["differ"] == len(comparison["customersThatDiffer"])
    a, b = (json.loads((tmp_path / side / "summary.json").read_text(encoding="utf-8")) for side in "ab")
    # the rules only add refusals (eligibility): every customer refused under A is refused under B
    assert "refused -> changed" not in comparison["byOutcome"]
    assert comparison["byOutcome"]["changed -> refused"] == b["refused"]["total"] - a["refused"]["total"] > 20
    assert "downgrade_too_early" not in a["refused"]["byReason"]
    assert Decimal(str(written["differences"]["fees"]["EUR"])) == Decimal(str(b["fees"]["EUR"]))


def test_the_command_line_runs_a_campaign_and_prints_its_summary(base: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bulk", "--catalog", str(DEMO), "--rules", str(RULES), "--inventories", str(base), "--from",
                 "po-mobile-l", "--to", "po-mobile-s", "--as-of", "2026-03-01T00:00:00Z", "--out", str(tmp_path),
                 "--workers", "0"])
    captured = capsys.readouterr()
    assert code == 0
    assert json.loads(captured.out)["customers"] == 244
    assert "bulk: 244/244 customers" in captured.err
    assert not (tmp_path / "orders.jsonl").exists()


def test_the_command_line_compares_two_rule_sets_for_a_termination(base: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bulk", "--catalog", str(DEMO), "--compare-rules", str(RULES), "--inventories", str(base),
                 "--from", "po-mobile-l", "--terminate", "--as-of", "2026-03-01T00:00:00Z", "--out", str(tmp_path),
                 "--workers", "0"])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0 and printed == json.loads((tmp_path / "comparison.json").read_text(encoding="utf-8"))
    a, b = (json.loads((tmp_path / side / "summary.json").read_text(encoding="utf-8")) for side in "ab")
    assert a["template"] == b["template"] == {"kind": "Termination", "offering": "po-mobile-l"}
    assert printed["differ"] == len(printed["customersThatDiffer"]) and printed["customers"] == 244


def test_without_the_extra_the_command_says_what_to_install(base: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(__import__("sys").modules, "pyarrow", None)
    code = main(["bulk", "--catalog", str(DEMO), "--inventories", str(base), "--from", "po-mobile-l", "--to",
                 "po-mobile-s", "--as-of", "2026-03-01T00:00:00Z", "--out", str(tmp_path)])
    assert code == 1
    assert "pip install 'odedelta[bulk]'" in capsys.readouterr().err


def test_bad_campaign_options_are_one_line_errors(base: Path, tmp_path: Path) -> None:
    with pytest.raises(CampaignError, match="no such inventories"):
        run(DEMO, tmp_path / "nowhere", DOWNGRADE, as_of=AS_OF, out=tmp_path)
    with pytest.raises(CampaignError, match="engine 'spark'"):
        run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=tmp_path, engine="spark")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(CampaignError, match="the output directory is a file"):
        run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=tmp_path / "a-file", budget=1, workers=0)
    with pytest.raises(CampaignError, match="time zone"):
        run(DEMO, base, DOWNGRADE, as_of=datetime(2026, 3, 1), out=tmp_path)
    with pytest.raises(CampaignError, match="retries -1"):
        run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=tmp_path, retries=-1)


BULK = ["bulk", "--catalog", str(DEMO), "--rules", str(RULES), "--from", "po-mobile-l", "--as-of",
        "2026-03-01T00:00:00Z", "--workers", "0"]


@pytest.mark.parametrize(("options", "expected"), [
    (["--to", "po-mobile-mm"], "--to 'po-mobile-mm': no such offering in the catalog — did you mean 'po-mobile-m'?"),
    (["--from", "po-mobile-ll", "--to", "po-mobile-s"], "--from 'po-mobile-ll': no such offering in the catalog "
     "— did you mean 'po-mobile-l'?"),
    (["--to", "po-fiber-1000", "--option", "po-tv-bassic"], "--option 'po-tv-bassic': no such offering in the "
     "catalog — did you mean 'po-tv-basic'?"),
    (["--to", "po-mobile-s", "--option", "po-tv-basic"], "--option 'po-tv-basic': not a component of "
     "'po-mobile-s'"),
    (["--to", "po-mobile-s", "--set", "po-mobile-s:colour=red"], "'po-mobile-s' has no characteristic 'colour'"),
    (["--to", "po-mobile-classic"], "--to 'po-mobile-classic': offering 'po-mobile-classic' is not sellable"),
    (["--renew", "--set", "x=1"], "--set and --option go with --to"),
])
def test_a_typo_in_any_template_field_exits_2_before_any_customer_is_read(
        options: list[str], expected: str, base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from odedelta.campaigns.sources import Source

    def never(self: Source) -> Any:
        raise AssertionError("a customer was read")

    monkeypatch.setattr(Source, "__iter__", never)
    monkeypatch.setattr(Source, "__len__", never)
    code = main([*BULK, "--inventories", str(base), "--out", str(tmp_path / "out"), *options])
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_broken_rule_file_exits_2_with_its_line_before_any_customer_is_read(
        base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "typo.yaml").write_text("rules:\n  - id: r1\n    kind: eligibility\n    when: \"customer.segmnt == 'x'\"\n"
                                     "    refuse: wrong_segment\n", encoding="utf-8")
    code = main([*BULK[:3], "--rules", str(rules), *BULK[5:], "--inventories", str(base), "--to", "po-mobile-s",
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{rules / 'typo.yaml'}:" in err
    assert not (tmp_path / "out").exists()


def test_an_output_folder_in_use_is_refused_unless_resume_or_force(base: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    command = [*BULK, "--inventories", str(base), "--to", "po-mobile-s", "--out", str(tmp_path / "out")]
    assert main(command) == 0
    first = (tmp_path / "out" / "customers.parquet").read_bytes()
    capsys.readouterr()
    assert main(command) == 2
    assert "already holds a finished campaign: add --resume to continue it or --force" in capsys.readouterr().err
    (tmp_path / "out" / "customers.parquet").write_bytes(b"PAR1")  # damaged: --force writes it again
    (tmp_path / "out" / "notes.txt").write_text("mine", encoding="utf-8")
    assert main([*command, "--force"]) == 0
    assert (tmp_path / "out" / "customers.parquet").read_bytes() == first
    assert (tmp_path / "out" / "notes.txt").read_text(encoding="utf-8") == "mine"  # not a campaign file: kept
    capsys.readouterr()
    assert main([*command, "--resume"]) == 0  # finished already: nothing to run, the summary again
    assert json.loads(capsys.readouterr().out)["customers"] == 244
    other = [*BULK, "--inventories", str(base), "--to", "po-mobile-m", "--out", str(tmp_path / "out"), "--resume"]
    assert main(other) == 2
    assert "run with another template.to" in capsys.readouterr().err


def test_a_dry_run_checks_reads_the_first_customers_and_estimates(base: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*BULK, "--inventories", str(base), "--to", "po-mobile-s", "--out", str(tmp_path / "out"),
                 "--dry-run", "10"])
    estimate = json.loads(capsys.readouterr().out)
    assert code == 0 and not (tmp_path / "out").exists()
    assert (estimate["customers"], estimate["sampled"], sum(estimate["sample"].values())) == (244, 10, 10)
    assert estimate["sample"]["error"] == 1 and estimate["errors"][0].startswith(f"{base}:8: invalid JSON")
    assert estimate["estimatedSeconds"] >= 0 and estimate["workers"] == 1


def _interrupted(base: Path, out: Path, monkeypatch: pytest.MonkeyPatch, after: int, **options: Any) -> None:
    """A campaign that stops (an exception in the driver) after ``after`` partitions."""
    from odedelta.campaigns import outputs

    done: list[int] = []
    real = worker.run_partition_with

    def failing(*args: Any) -> Any:
        if len(done) == after:
            raise KeyboardInterrupt
        done.append(1)
        return real(*args)

    with monkeypatch.context() as patch:
        patch.setattr(worker, "run_partition_with", failing)
        with pytest.raises(KeyboardInterrupt):
            run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=out, rules=RULES, orders=True, workers=0, **options)
    assert outputs.CUSTOMERS not in {p.name for p in out.iterdir()}


def test_an_interrupted_campaign_resumes_to_the_same_bytes(base: Path, inline: tuple[Path, Any], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    reference = tmp_path / "reference"
    run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=reference, rules=RULES, orders=True, workers=0, partition_size=20)
    out = tmp_path / "out"
    _interrupted(base, out, monkeypatch, 5, partition_size=20)
    assert len(list((out / ".odedelta-checkpoints").glob("part-*.pickle"))) == 5
    with pytest.raises(CampaignError, match=r"open.*incomplete=True"):
        odedelta.campaigns.open(out)
    with pytest.raises(CampaignError, match="already holds an interrupted campaign"):
        run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=out, rules=RULES, orders=True, workers=0, partition_size=20)
    with pytest.raises(CampaignError, match="another partitionSize"):
        run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=out, rules=RULES, orders=True, workers=0, partition_size=10,
            resume=True)
    calls: list[int] = []
    real = worker.run_partition_with
    monkeypatch.setattr(worker, "run_partition_with", lambda *a: calls.append(1) or real(*a))
    resumed = run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=out, rules=RULES, orders=True, workers=0,
                  partition_size=20, resume=True)
    assert len(calls) == 13 - 5  # 244 customers in 13 partitions: only those not done ran
    for name in (*FILES, "_manifest.json"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    _same_files(inline[0], out)
    assert sorted(p.name for p in out.iterdir()) == sorted([*FILES, "_manifest.json"])
    assert odedelta.campaigns.open(out).summary == json.loads((reference / "summary.json").read_text(),
                                                              parse_float=Decimal)
    assert resumed.manifest["partitions"] == {"done": 13, "total": 13}


def test_a_resume_refuses_customers_that_changed(base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    copy = tmp_path / "customers.jsonl"
    copy.write_bytes(base.read_bytes())
    _interrupted(copy, out, monkeypatch, 3, partition_size=20)
    lines = copy.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[30] = lines[30].replace("po-mobile-l", "po-mobile-m")
    copy.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(CampaignError, match=r"customers of partition 1 .* changed since the campaign started"):
        run(DEMO, copy, DOWNGRADE, as_of=AS_OF, out=out, rules=RULES, orders=True, workers=0, partition_size=20,
            resume=True)
    copy.write_text("".join(base.read_text(encoding="utf-8").splitlines(keepends=True)[:40]), encoding="utf-8")
    with pytest.raises(CampaignError, match="fewer customers than when the campaign started"):
        run(DEMO, copy, DOWNGRADE, as_of=AS_OF, out=out, rules=RULES, orders=True, workers=0, partition_size=20,
            resume=True)


def test_a_kill_while_writing_leaves_no_file_under_its_final_name_and_resume_finishes(
        base: Path, inline: tuple[Path, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.parquet as parquet

    out = tmp_path / "out"
    real = parquet.ParquetWriter.write_table
    written: list[int] = []

    def dying(self: Any, table: Any, *args: Any, **kwargs: Any) -> None:
        real(self, table, *args, **kwargs)
        written.append(1)
        if len(written) == 2:  # customers.parquet is whole, items.parquet is being written
            raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(parquet.ParquetWriter, "write_table", dying)
        with pytest.raises(KeyboardInterrupt):
            run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=out, rules=RULES, orders=True, workers=0, partition_size=7)
    names = {p.name for p in out.iterdir()}
    assert "customers.parquet" in names and "items.parquet" not in names and "_manifest.json" not in names
    assert not [name for name in names if name.endswith(".tmp")]
    incomplete = odedelta.campaigns.open(out, incomplete=True)
    assert incomplete.summary == {} and len(incomplete.customers) == 244
    run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=out, rules=RULES, orders=True, workers=0, partition_size=7,
        resume=True)
    for name in (*FILES, "_manifest.json"):
        assert (out / name).read_bytes() == (inline[0] / name).read_bytes(), name
    (out / "items.parquet").write_bytes(b"PAR1")
    with pytest.raises(CampaignError, match=r"items\.parquet: not the file the campaign wrote"):
        odedelta.campaigns.open(out)


def test_the_manifest_names_the_inputs_by_hash_and_counts_the_outputs(inline: tuple[Path, Any], base: Path) -> None:
    import hashlib

    out, result = inline
    manifest = result.manifest
    assert manifest["complete"] is True and manifest["odedelta"] == odedelta.__version__
    assert manifest["inputs"]["catalog"]["path"] == str(DEMO.resolve())
    assert manifest["inputs"]["inventories"]["customers"] == 244
    assert manifest["options"]["template"] == {"kind": "ChangeOffering", "offering": "po-mobile-l",
                                               "to": "po-mobile-s"}
    assert manifest["partitions"] == {"done": 35, "total": 35}  # 244 customers, 7 a partition
    assert manifest["counts"]["customers"] == 244 and manifest["counts"]["orders"] == result.summary["requests"]
    for name in FILES:
        data = (out / name).read_bytes()
        assert manifest["files"][name] == {"bytes": len(data), "sha256": "sha256:" + hashlib.sha256(data).hexdigest()}


def test_generate_base_writes_the_seeded_base(demo: odedelta.Catalog, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    command = ["generate-base", "--catalog", str(DEMO), "--customers", "25", "--seed", "4", "--favour",
               "po-mobile-l", "--out", str(tmp_path / "base.jsonl")]
    assert main(command) == 0
    generate.write_jsonl(tmp_path / "expected.jsonl", generate.customers(demo, 25, as_of=AS_OF, seed=4,
                                                                          favour="po-mobile-l"))
    assert (tmp_path / "base.jsonl").read_bytes() == (tmp_path / "expected.jsonl").read_bytes()
    assert main(command) == 2 and "exists (add --force" in capsys.readouterr().err
    assert main([*command, "--force", "--seed", "5"]) == 0
    assert (tmp_path / "base.jsonl").read_bytes() != (tmp_path / "expected.jsonl").read_bytes()
    assert main([*command[:-2], "--favour", "po-mobile-x", "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "did you mean" in capsys.readouterr().err


def test_a_script_without_a_main_guard_gets_a_sentence_not_a_broken_pool(base: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    def script(first: str, out: str) -> list[str]:
        path = tmp_path / f"{out}.py"
        path.write_text(  # spawned workers import the main module: without the guard they run it again
            f"{first}from datetime import UTC, datetime\n"
            "from odedelta.campaigns import ChangeOffering, CampaignError, run\n"
            "try:\n"
            f"    run({str(DEMO)!r}, {str(base)!r}, ChangeOffering('po-mobile-l', 'po-mobile-s'),\n"
            f"        as_of=datetime(2026, 3, 1, tzinfo=UTC), out={str(tmp_path / out)!r}, workers=1)\n"
            "except CampaignError as exc:\n"
            "    print('CampaignError:', exc)\n")
        return [sys.executable, str(path)]

    # pyarrow imported first runs a thread: the driver spawns its workers
    done = subprocess.run(script("import pyarrow\n", "spawned"), capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert "CampaignError: a worker process stopped before finishing its partition" in done.stdout
    assert "if __name__ == '__main__':" in done.stdout
    # a driver of one thread forks them: they never import the main module, and the campaign runs
    done = subprocess.run(script("", "forked"), capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "")
    assert json.loads((tmp_path / "forked" / "summary.json").read_text(encoding="utf-8"))["customers"] == 244


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_periodic_lines_otherwise() -> None:
    terminal = _Terminal()
    bar = Progress(400, terminal)
    bar.update(100)
    bar.update(300)
    assert terminal.getvalue().count("\r") == 2 and "] 100/400 customers" in terminal.getvalue()
    assert "ETA" in terminal.getvalue() and terminal.getvalue().endswith("ETA 0m00s\n")
    log = io.StringIO()
    lines = Progress(400, log, every=3600)
    lines.update(100)
    lines.update(300)
    assert log.getvalue().splitlines() == [line for line in log.getvalue().splitlines() if line.startswith("bulk: ")]
    assert len(log.getvalue().splitlines()) == 1 and "400/400 customers" in log.getvalue()


def test_the_core_does_not_import_the_campaigns() -> None:
    package = ROOT / "src" / "odedelta"
    for file in package.rglob("*.py"):
        if "campaigns" in file.parts or "cli" in file.parts:  # the campaigns and the command line
            continue
        assert "campaigns" not in file.read_text(encoding="utf-8"), file


def test_a_stop_request_ends_the_campaign_at_the_next_partition_and_resume_finishes(
        base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A signal handler's exception can be lost (raised inside a ``__del__``); the stop request it also sets ends
    the campaign at the next partition all the same, with what is finished saved for ``resume``."""
    from odedelta.campaigns.spec import Interrupted, StopRequest

    reference = tmp_path / "reference"
    run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=reference, rules=RULES, orders=True, workers=0, partition_size=20)
    stop = StopRequest()
    done: list[int] = []
    real = worker.run_partition_with

    def counting(*args: Any) -> Any:
        done.append(1)
        if len(done) == 3:
            stop.request("stopped for the test")  # as the handler does, without its exception
        return real(*args)

    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        patch.setattr(worker, "run_partition_with", counting)
        with pytest.raises(Interrupted, match="stopped for the test"):
            run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=out, rules=RULES, orders=True, workers=0, partition_size=20,
                stop=stop)
    assert len(done) == 3 and len(list((out / ".odedelta-checkpoints").glob("part-*.pickle"))) == 3
    run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=out, rules=RULES, orders=True, workers=0, partition_size=20,
        resume=True)
    for name in (*FILES, "_manifest.json"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


def test_a_customers_context_is_made_and_checked_once_per_segment_and_billing_day(demo: odedelta.Catalog) -> None:
    engine = Engine(demo, odedelta.load_rules(RULES, demo))
    contexts = worker.Contexts(engine)
    business = contexts.get("business", None, 5)
    assert business == odedelta.Context(segment="business", billing_cycle_day=5)
    assert contexts.get("business", {}, 5) is business  # no attributes: the same frozen context
    assert contexts.get("business", None, None) is not business and contexts.get(None, None, None) is not None
    with_attributes = contexts.get("business", {"tenureMonths": 3}, 5)
    assert with_attributes.attributes == {"tenureMonths": 3}
    assert contexts.get("business", {"tenureMonths": 3}, 5) is not with_attributes  # made and checked afresh
    for _ in range(2):  # an error each time, never remembered
        with pytest.raises(RequestError, match="billing cycle day 40 is out of range"):
            contexts.get("business", None, 40)
    with pytest.raises(ValueError, match="segment"):
        contexts.get(5, None, None)
    assert set(contexts.known) == {("business", 5), ("business", None), (None, None)}
    contexts.LIMIT = 3
    assert contexts.get("residential", None, None).segment == "residential"
    assert len(contexts.known) == 3
