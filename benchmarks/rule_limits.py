"""Rule files at and beyond the limits: how long a check takes and how much memory, from a few rules to a 50 MB file.

    .venv/bin/python benchmarks/rule_limits.py            # prints a markdown table
    .venv/bin/python benchmarks/rule_limits.py --quick    # small sizes only: a smoke run

Each size runs in a fresh process (its peak memory is its own): the demo catalog is loaded, then
``load_rules`` (``check`` without ``--analyze``) and ``analyze`` are timed around the call (wall clock). A file over
``max_rule_file_bytes`` is refused by its size before it is read: the refusal row measures that.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OFFERINGS = ["po-fiber-300", "po-mobile-l", "po-mobile-m", "po-streaming-vas"]

_MEASURE = r"""
import json, resource, sys, time
import odedelta
from odedelta.adapters.files import load_rules
from odedelta.rules import RuleError
from odedelta.rules.analysis import analyze
catalog = odedelta.load_catalog(sys.argv[1])
start = time.perf_counter()
try:
    book = load_rules(sys.argv[2], catalog)
    loaded, outcome = time.perf_counter() - start, f"{len(book.rules)} rules"
    start = time.perf_counter()
    found = analyze(book.rules)
    analysed = time.perf_counter() - start
    outcome += f", {len(found.findings)} findings"
except RuleError as exc:
    loaded, analysed, outcome = time.perf_counter() - start, None, "refused: " + exc.problems[0].message[:60] + "…"
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"load": loaded, "analyze": analysed, "peak_mib": peak, "outcome": outcome}))
"""


def write_rules(path: Path, count: int) -> int:
    """``count`` eligibility rules (a table: offering × tenure, priorities 0–6), about 260 bytes each."""
    with path.open("w") as out:
        out.write("rules:\n")
        for i in range(count):
            out.write(f"  - id: rule-{i}\n    kind: eligibility\n    description: Generated rule number {i}.\n"
                      f"    priority: {i % 7}\n    when: \"target.offering == '{OFFERINGS[i % 4]}' and "
                      f"customer.tenure_months >= {i % 50}\"\n"
                      f"    then: {{decision: deny, reason: r{i % 3}, message: \"No {i}.\"}}\n")
    return path.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    args = parser.parse_args()
    sizes = [100, 1_000] if args.quick else [100, 1_000, 4_000, 8_000, 190_000]
    print("| rules | file | load_rules | analyze | peak memory | outcome |")
    print("| ---: | ---: | ---: | ---: | ---: | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for count in sizes:
            folder = Path(tmp) / str(count)
            folder.mkdir()
            size = write_rules(folder / "rules.yaml", count)
            run = subprocess.run([sys.executable, "-c", _MEASURE, str(ROOT / "catalogs" / "demo"), str(folder)],
                                 capture_output=True, text=True, check=False)
            if run.returncode != 0:
                print(run.stderr, file=sys.stderr)
                return 1
            row = json.loads(run.stdout)
            analysed = f"{row['analyze']:.2f} s" if row["analyze"] is not None else "—"
            print(f"| {count:,} | {size / 1e6:.1f} MB | {row['load']:.3f} s | {analysed} | {row['peak_mib']:.0f} MiB "
                  f"| {row['outcome']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
