"""The command line as a new user meets it: a mistyped command or id names what was meant, a change computed
without rules says so, ``--help`` loads nothing of the engine, and the public face imports each name on first use.
(The installed console script itself is run in tests/test_wheel.py.)"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import odedelta
from odedelta.adapters.cli import main
from odedelta.adapters.cli.common import EXECUTORS, NO_RULES
from odedelta.adapters.cli.errors import did_you_mean
from odedelta.adapters.cli.partners import ITEM_STATES

from .conftest import DEMO, ROOT

ALICE = ["--catalog", str(DEMO), "--inventory", str(DEMO / "inventories" / "alice.json"),
         "--as-of", "2026-03-01T00:00:00Z"]
RULES = ["--rules", str(ROOT / "rules")]


# ------------------------------------------------------------------------------------------ did you mean
@pytest.mark.parametrize(("argv", "said"), [
    (["chnage"], "odedelta: error: unknown command 'chnage' — did you mean 'change'?"),
    (["qualfy", "--product", "A-1"], "odedelta: error: unknown command 'qualfy' — did you mean 'qualify'?"),
    (["partner"], "odedelta: error: unknown command 'partner' — did you mean 'partner-sla' or 'partner-status'?"),
    (["frobnicate"], "odedelta: error: unknown command 'frobnicate' (odedelta --help lists the commands)"),
])
def test_an_unknown_command_names_the_closest_and_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                          said: str) -> None:
    assert _usage_error(capsys, argv) == ["usage: odedelta [-h] [--version] COMMAND ...", said]


def _usage_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[str]:
    """What a wrong command line prints (on stderr only, exit 2)."""
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err.splitlines()


@pytest.mark.parametrize(("argv", "said"), [
    (["change", "--catalog", "catalogs/demo", "--fromat", "json"],
     "odedelta change: error: unknown option '--fromat' — did you mean '--format'?"),
    # a misspelt required option: argparse alone would say only that --catalog is missing
    (["change", "--catalgo", "catalogs/demo"], "odedelta change: error: unknown option '--catalgo' — did you mean "
                                               "'--catalog'?"),
    (["check", "catalogs/demo", "--format=json", "--anlyze"],
     "odedelta check: error: unknown option '--anlyze' — did you mean '--analyze'?"),
    (["serve", "--zzz"], "odedelta serve: error: unknown option '--zzz' (odedelta serve --help lists the options)"),
])
def test_an_unknown_option_names_the_closest_and_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                         said: str) -> None:
    assert _usage_error(capsys, argv)[-1] == said


def test_an_abbreviated_option_and_what_follows_a_double_dash_are_not_refused() -> None:
    """argparse accepts an unambiguous prefix (--form for --format); after ``--`` come values, not options."""
    assert main(["check", "--format", "text", "--", str(ROOT / "catalogs" / "demo")]) == 0
    assert main(["check", str(ROOT / "catalogs" / "demo"), "--form", "text"]) == 0


def test_help_and_version_come_before_the_command_check(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version", "chnage"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"odedelta {odedelta.__version__}\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--product", "F-99", "--to", "po-fiber-300"],
     "no installed product 'F-99' — did you mean 'F-1', 'F-2', 'F-3', 'F-4' or 'F-5'?"),
    (["--remove", "A-9"], "no installed product 'A-9' — did you mean 'A-1', 'A-2', 'A-3' or 'A-4'?"),
    (["--terminate", "f-1"], "no installed product 'f-1' — did you mean 'F-1'?"),
    (["--renew", "F-11"], "no installed product 'F-11' — did you mean 'F-1'?"),
    (["--add", "po-static-ip", "--parent", "F-7"],
     "no installed product 'F-7' — did you mean 'F-1', 'F-2', 'F-3', 'F-4' or 'F-5'?"),
    (["--product", "F-1", "--to", "po-fiber-3000"], "unknown offering 'po-fiber-3000' — did you mean 'po-fiber-300'?"),
    (["--product", "F-1", "--to", "po-fiber-300", "--set", "F-22:downloadSpeed=300"],
     "set: 'F-22' is neither an installed product nor an offering — did you mean 'F-2'?"),
    (["--add", "po-stream"], "unknown offering 'po-stream' — did you mean 'po-streaming-uhd' or 'po-streaming-vas'?"),
    (["--acquire", "po-fiber"], "unknown offering 'po-fiber' — did you mean 'po-fiber-100', 'po-fiber-300', "
                                "'po-fiber-500', 'po-fiber-1000', 'po-fiber-200-legacy', …?"),
])
def test_an_unknown_id_names_the_closest_ids(capsys: pytest.CaptureFixture[str], args: list[str],
                                             message: str) -> None:
    assert main(["change", *ALICE, *args, "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"error: {message}"]
    assert json.loads(captured.out) == {"error": {"type": "RequestError", "exitCode": 1, "message": message,
                                                  "problems": []}}


def test_a_wrong_command_line_is_said_before_an_unknown_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["change", *ALICE[:4], "--remove", "F-99", "--as-of", "yesterday"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: --as-of 'yesterday' is not an ISO-8601 date-time (e.g. 2026-03-01T00:00:00Z)"]


def test_qualify_and_partner_sla_name_the_closest_installed_ids(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qualify", *ALICE, "--product", "A-11"]) == 1
    assert capsys.readouterr().err.splitlines() == ["error: no installed product 'A-11' — did you mean 'A-1'?"]
    assert main(["partner-sla", *ALICE, *RULES, "--product", "F-44", "--metric", "availability",
                 "--measured", "98.7"]) == 1
    assert capsys.readouterr().err.splitlines() == ["error: no installed product 'F-44' — did you mean 'F-4'?"]


def test_did_you_mean_picks_the_closest() -> None:
    ids = ["F-1", "F-2", "F-10", "A-1", "B-1"]
    assert did_you_mean("part", ["change", "partner-status", "partner-sla"]) == \
        " — did you mean 'partner-sla' or 'partner-status'?"  # the ones it begins
    assert did_you_mean("f-2", ids) == " — did you mean 'F-2'?"  # the same id in another case first
    assert did_you_mean("F-1x", ids) == " — did you mean 'F-1'?"  # the one closest by spelling
    assert did_you_mean("X-1", ids) == " — did you mean 'A-1', 'B-1' or 'F-1'?"  # every one as close
    assert did_you_mean("F-999", ids) == " — did you mean 'F-1', 'F-2' or 'F-10'?"  # the same stem, by length
    assert did_you_mean("QQ-77", ids) == ""  # nothing near
    assert did_you_mean("anything", []) == ""
    assert did_you_mean("F-", [f"F-{n}" for n in range(1, 8)]) == \
        " — did you mean 'F-1', 'F-2', 'F-3', 'F-4', 'F-5', …?"


# --------------------------------------------------------------------------------------------- no rules
def test_a_change_without_rules_says_so_on_stderr_and_prints_the_same_answer(
        capsys: pytest.CaptureFixture[str]) -> None:
    downgrade = ["change", *ALICE, "--product", "F-1", "--to", "po-fiber-300"]
    assert main(downgrade) == 0
    bare = capsys.readouterr()
    assert bare.err.splitlines() == [
        "note: no --rules given: the catalog alone answers (no eligibility, fee, penalty or other rule applied)"]
    assert bare.err.splitlines() == [NO_RULES]
    assert "Due now: 0.00 EUR\n" in bare.out  # the catalog charges nothing for the downgrade ...
    assert main([*downgrade, *RULES]) == 0
    ruled = capsys.readouterr()
    assert ruled.err == ""  # ... the rules charge the early downgrade fee, and nothing is noted
    assert "Due now: 60.00 EUR (of which penalties 60.00 EUR)\n" in ruled.out
    assert main([*downgrade, "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [NO_RULES]
    assert json.loads(captured.out)["rules"] == []  # stdout stays the answer alone


def test_qualify_without_rules_and_an_empty_rules_directory_say_so(capsys: pytest.CaptureFixture[str],
                                                                    tmp_path: Path) -> None:
    assert main(["qualify", *ALICE, "--product", "A-1"]) == 0
    assert capsys.readouterr().err.splitlines() == [NO_RULES]
    assert main(["change", *ALICE, "--remove", "A-4", "--rules", str(tmp_path)]) == 0
    assert capsys.readouterr().err.splitlines() == [f"note: --rules {tmp_path} holds no rules: the catalog alone "
                                                    "answers"]


# ----------------------------------------------------------------------------------- help loads no engine
def test_help_imports_nothing_of_the_engine() -> None:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "odedelta", "--help"], capture_output=True,
                          text=True, check=True)
    assert done.stdout.startswith("usage: odedelta [-h] [--version] COMMAND ...")
    assert " ".join(done.stdout.split()).endswith(
        "Exit codes: 0 success; 1 the input is refused or a scenario failed; 2 the command line is wrong. With "
        "--format json (or a TMF format) a refusal is also a JSON error object on stdout.")
    imported = [line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()[1:]]
    heavy = ("odedelta", "pydantic", "networkx", "yaml", "jsonschema", "importlib.metadata")
    assert sorted(m for m in imported if m.startswith(heavy)) == [  # not the engine, not even the version
        "odedelta", "odedelta.adapters", "odedelta.adapters.cli", "odedelta.adapters.cli.authoring",
        "odedelta.adapters.cli.bulk", "odedelta.adapters.cli.change", "odedelta.adapters.cli.common",
        "odedelta.adapters.cli.errors", "odedelta.adapters.cli.explain", "odedelta.adapters.cli.partners",
        "odedelta.adapters.cli.serve", "odedelta.model", "odedelta.model.errors", "odedelta.model.jsonio"]


def test_the_parser_names_what_the_library_knows() -> None:
    from odedelta.outputs.rollup import RANK
    from odedelta.rules import EXECUTORS as LIBRARY_EXECUTORS

    assert EXECUTORS == LIBRARY_EXECUTORS
    assert list(ITEM_STATES) == sorted(RANK)


# ------------------------------------------------------------------------------------ the lazy public face
def test_import_odedelta_loads_only_the_package() -> None:
    code = "import sys, odedelta; print(sorted(m for m in sys.modules if m.startswith('odedelta')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['odedelta']"


def test_every_public_name_is_the_one_its_module_defines_and_the_stub_says_so() -> None:
    from importlib import import_module

    stub = ast.parse((ROOT / "src" / "odedelta" / "__init__.pyi").read_text(encoding="utf-8"))
    typed = {(a.asname or a.name): (n.module, a.name) for n in stub.body if isinstance(n, ast.ImportFrom)
             for a in n.names}
    stub_all = next(ast.literal_eval(n.value) for n in stub.body if isinstance(n, ast.Assign)
                    and getattr(n.targets[0], "id", "") == "__all__")
    assert stub_all == odedelta.__all__
    assert set(typed) == {*odedelta.__all__, "__version__"}
    for name, (module, attribute) in typed.items():
        home = import_module(module)
        expected = getattr(home, attribute) if hasattr(home, attribute) else import_module(f"{module}.{attribute}")
        assert getattr(odedelta, name) is expected, name
    namespace: dict[str, object] = {}
    exec("from odedelta import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(odedelta.__all__)
    assert set(odedelta.__all__) <= set(dir(odedelta))
    assert odedelta.rules.EXECUTORS == EXECUTORS  # a subpackage, as `import odedelta` gave it before
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        _ = odedelta.nothing_here


def test_a_reader_that_leaves_early_ends_the_command_without_a_traceback() -> None:
    """`odedelta test … | head -1`: the pipe closes after the first line; the command stops quietly (exit 1)."""
    command = subprocess.Popen([sys.executable, "-m", "odedelta", "test", str(DEMO / "scenarios")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert command.stdout is not None and command.stderr is not None
    first = command.stdout.readline()
    command.stdout.close()  # the reader leaves, as head does
    errors = command.stderr.read().decode()
    command.stderr.close()
    assert command.wait(timeout=120) == 1
    assert first.startswith(b"PASS  ")
    assert "Traceback" not in errors and "BrokenPipeError" not in errors


def test_an_as_of_before_the_products_started_is_said_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """A mistyped year gives a plausible answer (no commitment running yet, so no penalty): the edge says so."""
    bob = ["change", "--catalog", str(DEMO), "--inventory", str(DEMO / "inventories" / "bob.json"), *RULES,
           "--product", "B-1", "--to", "po-mobile-l"]
    assert main([*bob, "--as-of", "2025-06-01T00:00:00Z"]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == (
        "note: --as-of 2025-06-01T00:00:00Z is before these products started: B-1 (2025-11-01T00:00:00Z), "
        "B-2 (2025-11-01T00:00:00Z), B-3 (2025-11-01T00:00:00Z), B-4 (2025-11-01T00:00:00Z); they are judged at a "
        "moment they did not exist yet")
    assert main([*bob, "--as-of", "2026-06-01T00:00:00Z"]) == 0
    assert "before these products started" not in capsys.readouterr().err


def test_a_missing_file_is_said_once(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "bobb.json"
    assert main(["change", "--catalog", str(DEMO), "--inventory", str(missing), "--product", "B-1", "--to",
                 "po-mobile-l", "--as-of", "2026-06-01T00:00:00Z"]) == 1
    assert capsys.readouterr().err == f"error: {missing}: cannot read (No such file or directory)\n"
