"""Business rules in YAML: the language, its checker, two executors and the decisions they make."""

from __future__ import annotations

from pathlib import Path

from ..catalog import Catalog
from ..errors import LoadError, Problem
from .executor import DURABLE_INSTALL, EXECUTORS, Executor, ReferenceExecutor, default_executor, make_executor
from .language import KINDS, SCHEMA_FILE, SCHEMA_LINE, Rule, check_rule_documents, json_schema
from .rulebook import RuleOutcome, Rulebook, Verdict


class RuleError(LoadError):
    """A rule file has problems (all of them are listed, each with file, line and column)."""


def rule_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".yaml", ".yml"))


def load_rules(path: str | Path, catalog: Catalog, executor: Executor | str | None = None) -> Rulebook:
    """Read, check and compile every ``*.yaml`` rule file under ``path``; raise :class:`RuleError` listing every
    problem of every file. ``executor``: ``"reference"`` (the default), ``"durable"`` (durable-rules, the extra
    ``odedelta[durable]``) or an :class:`Executor`."""
    root = Path(path)
    if not root.exists():
        raise RuleError(f"{root}: no such rules directory", [Problem(str(root), "$", "no such file or directory")])
    documents = [(str(p), p.read_text(encoding="utf-8")) for p in rule_files(root)]
    rules, problems = check_rule_documents(documents, catalog)
    if problems:
        problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or 0, p.message))
        raise RuleError(f"{root}: the rules have {len(problems)} problem(s)", problems)
    return Rulebook(rules, executor)


__all__ = [
    "DURABLE_INSTALL",
    "EXECUTORS",
    "KINDS",
    "Executor",
    "ReferenceExecutor",
    "Rule",
    "RuleError",
    "RuleOutcome",
    "SCHEMA_FILE",
    "SCHEMA_LINE",
    "Rulebook",
    "Verdict",
    "default_executor",
    "json_schema",
    "load_rules",
    "make_executor",
]
