"""The rules layer: business rules in YAML — the language, its checker against typed facts, the executors that
run the compiled form (the reference executor, durable-rules) and the decisions they make. Reads the model; knows
nothing of deltas being built, money or outputs. Reading rule files is the adapters' job."""

from __future__ import annotations

from odedelta.model.errors import LoadError
from odedelta.rules.analysis import Analysis, Finding, analyze
from odedelta.rules.executor import Executor, ExecutorError, ReferenceExecutor
from odedelta.rules.language import KINDS, SCHEMA_FILE, SCHEMA_LINE, Rule, json_schema
from odedelta.rules.rulebook import (
    DURABLE_INSTALL,
    EXECUTORS,
    Rulebook,
    RuleOutcome,
    Verdict,
    default_executor,
    executor_factory,
    make_executor,
)


class RuleError(LoadError):
    """A rule file has problems (all of them are listed, each with file, line and column)."""


__all__ = [
    "DURABLE_INSTALL",
    "EXECUTORS",
    "KINDS",
    "SCHEMA_FILE",
    "SCHEMA_LINE",
    "Analysis",
    "Executor",
    "ExecutorError",
    "Finding",
    "ReferenceExecutor",
    "Rule",
    "RuleError",
    "RuleOutcome",
    "Rulebook",
    "Verdict",
    "analyze",
    "default_executor",
    "executor_factory",
    "json_schema",
    "make_executor",
]
