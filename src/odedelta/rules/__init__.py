"""Business rules in YAML: the language, its checker, two executors and the decisions they make."""

from __future__ import annotations

from pathlib import Path

from ..catalog import Catalog
from .._source import read_text
from ..errors import LoadError, Problem
from ..limits import DEFAULT, Limits
from .executor import Executor, ExecutorError, ReferenceExecutor, default_executor
from .language import KINDS, Rule, check_rule_documents, json_schema
from .rulebook import RuleOutcome, Rulebook, Verdict


class RuleError(LoadError):
    """A rule file has problems (all of them are listed, each with file, line and column)."""


def rule_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".yaml", ".yml"))


def load_rules(path: str | Path, catalog: Catalog, executor: Executor | None = None,
               limits: Limits = DEFAULT) -> Rulebook:
    """Read, check and compile every ``*.yaml`` rule file under ``path`` (each within ``limits``); raise
    :class:`RuleError` listing every problem of every file. A file that cannot be read is a problem, never an
    empty file."""
    root = Path(path)
    if not root.exists():
        raise RuleError(f"{root}: no such rules directory", [Problem(str(root), "$", "no such file or directory")])
    documents = []
    unreadable: list[Problem] = []
    for file in rule_files(root):
        try:
            documents.append((str(file), read_text(file, str(file), limits)))
        except LoadError as exc:
            unreadable.extend(exc.problems)
    rules, problems = check_rule_documents(documents, catalog, limits)
    problems = unreadable + problems
    if problems:
        problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or 0, p.message))
        raise RuleError(f"{root}: the rules have {len(problems)} problem(s)", problems)
    try:
        return Rulebook(rules, executor)
    except ExecutorError as exc:  # what the executor cannot run, at the rule that asks for it
        rule = next((r for r in rules if r.id == exc.rule_id), None)
        where = Problem(rule.file, "$", str(exc), rule.line) if rule else Problem(str(root), "$", str(exc))
        raise RuleError(f"{root}: the rules cannot run", [where]) from None


__all__ = [
    "KINDS",
    "Executor",
    "ExecutorError",
    "ReferenceExecutor",
    "Rule",
    "RuleError",
    "RuleOutcome",
    "Rulebook",
    "Verdict",
    "default_executor",
    "json_schema",
    "load_rules",
]
