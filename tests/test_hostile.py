"""Hostile input (issue 18): every case is built from a valid catalog or rule file, mutated the way an attacker or a
careless export would, and must end in exit 1 with a located one-line problem — no traceback, no hang, no file
silently counted as empty. Cases that could hang the process run ``odedelta check`` in a subprocess with a generous
time bound (a bound on a hang, not a speed assertion)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from odedelta.adapters.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "catalogs" / "demo"
RULES = ROOT / "rules"
BOUND = 60  # seconds: a hang bound for a subprocess, far above the normal time


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("inventories", "scenarios"))
    return target


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target, ignore=shutil.ignore_patterns("*.json"))
    return target


def check(capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    """Run ``odedelta check`` in this process: exit 1 and the error text expected."""
    code = main(["check", *map(str, args)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err
    return err


def check_subprocess(*args: str | Path) -> str:
    done = subprocess.run([sys.executable, "-m", "odedelta", "check", *map(str, args)], capture_output=True,
                          text=True, timeout=BOUND, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


def located(err: str, file: str, message: str) -> None:
    """A problem line ``file:line:col: …message…``."""
    pattern = re.escape(file) + r":\d+:\d+: .*" + re.escape(message)
    assert re.search(pattern, err), err


def prices_text(catalog: Path) -> str:
    return (catalog / "productOfferingPrice.json").read_text()


def write_price_value(catalog: Path, raw: str) -> Path:
    """The first price's value replaced by ``raw`` as written in the JSON text."""
    file = catalog / "productOfferingPrice.json"
    file.write_text(prices_text(catalog).replace('"value": 10.00', f'"value": {raw}', 1))
    return file


# ------------------------------------------------------------------------------------------------ catalogs


@pytest.mark.parametrize("depth", [300, 3_000, 100_000])
def test_deep_nesting_in_a_catalog_is_located(capsys: pytest.CaptureFixture[str], catalog: Path, depth: int) -> None:
    file = catalog / "category.json"
    data = json.loads(file.read_text())
    data[0]["extra"] = "@@"
    file.write_text(json.dumps(data, indent=2).replace('"@@"', "[" * depth + "]" * depth))
    located(check(capsys, catalog), str(file), "nesting deeper than 200 levels")


@pytest.mark.parametrize(("raw", "message"), [
    ("1" * 100_000, "number of 100000 characters"),
    ("1e999999999", "is too large"),
    ("1e999", "is too large"),
    ("NaN", "NaN is not a JSON number"),
    ("Infinity", "Infinity is not a JSON number"),
    ("-Infinity", "Infinity is not a JSON number"),
    ("1e26", "is too large"),
    ("0.0000000000000000001", "finer than"),
    ("1234567890.12345678901234567890", "significant digits"),
])
def test_numbers_beyond_the_limits_are_located(capsys: pytest.CaptureFixture[str], catalog: Path, raw: str,
                                               message: str) -> None:
    file = write_price_value(catalog, raw)
    located(check(capsys, catalog), str(file), message)


def test_a_negative_catalog_price_is_refused(capsys: pytest.CaptureFixture[str], catalog: Path) -> None:
    file = write_price_value(catalog, "-66")
    located(check(capsys, catalog), str(file), "negative price -66")


def test_duplicate_keys_in_json_name_both_positions(capsys: pytest.CaptureFixture[str], catalog: Path) -> None:
    file = write_price_value(catalog, '10.00, "value": 1.00')
    err = check(capsys, catalog)
    located(err, str(file), "duplicate key 'value' (first at line 15:7)")


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda raw: raw.replace(b"Voicemail", b"Voicem\xe9il", 1), "not UTF-8 text (byte 0xe9"),
    (lambda raw: b"\xef\xbb\xbf" + raw, "byte order mark"),
    (lambda raw: raw.replace(b"Voicemail", b"Voice\x00mail", 1), "a NUL character"),
    (lambda raw: raw.replace(b"Voicemail", b"Voicem\xed\xa0\x80il", 1), "not UTF-8 text"),  # a lone surrogate
])
def test_invalid_encodings_are_located(capsys: pytest.CaptureFixture[str], catalog: Path, mutate, message: str) -> None:
    file = catalog / "productOfferingPrice.json"
    file.write_bytes(mutate(file.read_bytes()))
    located(check(capsys, catalog), str(file), message)


def test_a_file_over_the_size_limit_is_refused(catalog: Path) -> None:
    from odedelta import Limits, load_catalog
    from odedelta.model.errors import LoadError

    with pytest.raises(LoadError) as caught:
        load_catalog(catalog, limits=Limits(max_file_bytes=1000))
    assert "larger than the limit of 1000" in str(caught.value)


def test_limits_are_configurable(catalog: Path) -> None:
    from odedelta import Limits, load_catalog
    from odedelta.model.errors import LoadError

    file = catalog / "category.json"
    data = json.loads(file.read_text())
    data[0]["extra"] = "@@"
    file.write_text(json.dumps(data).replace('"@@"', "[" * 250 + "]" * 250))
    with pytest.raises(LoadError, match="nesting deeper than 200 levels"):
        load_catalog(catalog)
    assert load_catalog(catalog, limits=Limits(max_depth=300)).categories


# ------------------------------------------------------------------------------------------------ rule files


def test_a_rule_file_with_a_huge_number_is_a_problem_never_an_empty_file(capsys: pytest.CaptureFixture[str],
                                                                          catalog: Path, rules: Path) -> None:
    file = rules / "money.yaml"
    file.write_text(file.read_text().replace("amount: 10.00", "amount: " + "1" * 100_000, 1))
    located(check(capsys, catalog, rules), str(file), "number of 100000 characters")


def test_an_impossible_date_in_a_rule_file_is_located(capsys: pytest.CaptureFixture[str], catalog: Path,
                                                      rules: Path) -> None:
    file = rules / "eligibility.yaml"
    text = file.read_text()
    text = re.sub(r"(\n  - id: [^\n]+\n)", r"\1    validFor: {startDateTime: 2025-02-30T00:00:00Z}\n", text, count=1)
    file.write_text(text)
    located(check(capsys, catalog, rules), str(file), "cannot read timestamp '2025-02-30T00:00:00Z'")


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda raw: raw.replace(b"Penalties", b"P\xe9nalties", 1), "not UTF-8 text"),
    (lambda raw: b"\xef\xbb\xbf" + raw, "byte order mark"),
    (lambda raw: raw.replace(b"Penalties", b"Pen\x00alties", 1), "a NUL character"),
    (lambda raw: raw.replace(b"rules:\n", b"rules:\n  - !!python/object/apply:os.system [echo]\n", 1),
     "invalid YAML"),
    (lambda raw: raw.replace(b"factor: 0.2", b"factor: .inf", 1), "not finite"),
    (lambda raw: raw.replace(b"factor: 0.2", b"factor: 0.2, factor: 0.3", 1), "duplicate key 'factor'"),
])
def test_rule_file_reader_errors_are_located(capsys: pytest.CaptureFixture[str], catalog: Path, rules: Path, mutate,
                                             message: str) -> None:
    file = rules / "money.yaml"
    file.write_bytes(mutate(file.read_bytes()))
    located(check(capsys, catalog, rules), str(file), message)


def test_a_billion_laughs_rule_file_is_refused(capsys: pytest.CaptureFixture[str], catalog: Path, rules: Path) -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    (rules / "bomb.yaml").write_text("\n".join(lines) + "\nrules: []\n")
    assert "once aliases are expanded" in check(capsys, catalog, rules)


def test_an_empty_rule_id_is_refused(capsys: pytest.CaptureFixture[str], catalog: Path, rules: Path) -> None:
    file = rules / "money.yaml"
    file.write_text(file.read_text().replace("id: mobile-downgrade-fee", "id: ''", 1))
    located(check(capsys, catalog, rules), str(file), "id is empty")


def _with_condition(rules: Path, condition: str) -> Path:
    file = rules / "money.yaml"
    text = file.read_text()
    old = "when: \"change.direction == 'downgrade' and installed.specification == 'ps-mobile-plan'\""
    assert old in text
    file.write_text(text.replace(old, f"when: \"{condition}\"", 1))
    return file


@pytest.mark.parametrize(("condition", "message"), [
    ("installed.price > 1e999", "not finite"),
    ("installed.price > " + " + ".join(["1"] * 5_000), "nested too deeply to read (at most 60 levels)"),
    ("installed.price > " + " + ".join(["1"] * 100), "nested deeper than 60 levels"),
    ("not " * 100_000 + "term.active", "characters (at most 100000)"),
    ("not " * 20_000 + "term.active", "condition"),
    ("(" * 5_000 + "term.active" + ")" * 5_000, "condition"),
    (" or ".join(f"installed.offering == 'po-{i}'" for i in range(20_000)),
     "clauses compare installed.offering with constants: write installed.offering in [...]"),
    (" or ".join(f"installed.offering == 'po-{i}'" for i in range(600)),
     "600 operands of one 'or' (at most 500); they compare installed.offering with constants: write "
     "installed.offering in [...]"),
    ("installed.offering in [" + ", ".join(f"'po-{i}'" for i in range(512)) + "]",
     "512 values in one list (at most 500)"),
    ("installed.price > 100000000000000000000000000", "too large"),
    ("installed.price > 99999999999999 * 99999999999999", "beyond the limit"),
])
def test_pathological_conditions_are_located_quickly(rules: Path, catalog: Path, condition: str,
                                                     message: str) -> None:
    file = _with_condition(rules, condition)
    err = check_subprocess(catalog, rules)
    assert message in err, err
    assert str(file) + ":" in err
