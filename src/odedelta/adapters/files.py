"""File adapters: read a catalog directory or an inventory file, hand the documents to the pure core.

Every problem found — in any file — is reported in one error, each with its file, JSON path, line and column.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from odedelta.model.catalog import KINDS, Catalog, Document, kind_from_file_name
from odedelta.model.errors import CatalogError, LoadError, OdeDeltaError, Problem
from odedelta.model.inventory import Inventory
from odedelta.model.limits import DEFAULT, Limits
from odedelta.model.source import JSON_SUFFIXES, YAML_SUFFIXES, parse_text, read_text, with_lines
from odedelta.rules import Executor, ExecutorError, Rulebook, RuleError
from odedelta.rules.analysis import Analysis, analyze
from odedelta.rules.language import check_rule_documents, rule_file_too_large
from odedelta.rules.policy import bind_policies

SUFFIXES = JSON_SUFFIXES | YAML_SUFFIXES
E = TypeVar("E", bound=OdeDeltaError)


def catalog_files(root: Path) -> list[Path]:
    """The files of a catalog directory: JSON/YAML files at its top, and in sub-directories named after a kind
    (``productOffering/``, ``promotion/``...). Other sub-directories (``inventories/``, ``scenarios/``) are not
    part of the catalog."""
    files = [p for p in sorted(root.iterdir()) if p.is_file() and p.suffix.lower() in SUFFIXES]
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and kind_from_file_name(p.name)):
        files.extend(p for p in sorted(sub.rglob("*")) if p.is_file() and p.suffix.lower() in SUFFIXES)
    return files


def load_catalog(path: str | Path, limits: Limits = DEFAULT) -> Catalog:
    """Load and check every catalog file under ``path`` (a directory, or one file), each within ``limits``.

    A loaded catalog is a few objects per offering that live as long as the process and are only read. So that the
    cyclic garbage collector does not walk them again and again, the collector is paused while the catalog is built
    and, once it is built, :func:`gc.freeze` moves every object then alive to the collector's permanent generation:
    later collections skip them (10,000 offerings: a full collection takes under 1 ms instead of 0.1 s). Objects
    are still freed when nothing refers to them; only reference cycles among objects that existed at the load wait
    for :func:`gc.unfreeze` — an embedder that loads many catalogs in one process and drops them can call it (or
    :func:`gc.collect` before loading)."""
    with _collector_paused():
        return _load_catalog(path, limits)


def _load_catalog(path: str | Path, limits: Limits) -> Catalog:
    root = Path(path)
    if not root.exists():
        raise LoadError(f"{root}: no such catalog directory", [Problem(str(root), "$", "no such file or directory")])
    files = catalog_files(root) if root.is_dir() else [root]
    if not files:
        raise LoadError(f"{root}: no catalog files", [Problem(str(root), "$", "expected JSON or YAML files of "
                                                                         f"{', '.join(KINDS)} resources")])
    texts = _FileTexts({str(file): file for file in files}, limits)
    problems: list[Problem] = []
    try:
        catalog = Catalog.from_documents(_documents(root, files, limits, problems))
    except LoadError as exc:
        problems.extend(_after_unreadable(str(root), problems, exc.problems))
        catalog = None
    if problems or catalog is None:
        raise _located(CatalogError, f"{root}: the catalog has {len(problems)} problem(s)", problems, texts)
    catalog.warnings = sorted(with_lines(catalog.warnings, texts), key=Problem.sort_key)
    return catalog


def _after_unreadable(root: str, unreadable: list[Problem], found: Sequence[Problem]) -> list[Problem]:
    """The problems of the files that could be read; when some could not, the references to unknown ids (with no
    close id to suggest) folded into one line: an offering, price or promotion in an unreadable file is unknown to
    every file that names it, and listing each would bury the problem that matters (a missing comma in
    productOffering.json gave 13 "unknown productOffering" lines)."""
    if not unreadable:
        return list(found)
    kept = [p for p in found if "unknown " not in p.message or "did you mean" in p.message]
    folded = len(found) - len(kept)
    if folded:
        files = ", ".join(sorted({Path(p.file).name for p in unreadable}))
        kept.append(Problem(root, "$", f"{folded} reference(s) to unknown ids not listed: they may be defined in "
                                       f"what cannot be read ({files}); fix that first"))
    return kept


def _documents(root: Path, files: list[Path], limits: Limits, problems: list[Problem]) -> Iterator[Document]:
    """Each file read and parsed when the catalog asks for it, so the parsed documents of one file are gone before
    the next is read (a file that cannot be read or parsed adds its problems and is skipped)."""
    for file in files:
        name = str(file)
        hint = kind_from_file_name(file.stem) or (
            kind_from_file_name(file.parent.name) if file.parent != root else None)
        try:
            document = Document(name, parse_text(read_text(file, name, limits), name,
                                                 yaml_syntax=file.suffix.lower() != ".json", limits=limits), hint)
        except LoadError as exc:
            problems.extend(exc.problems)
            continue
        yield document
        del document  # not kept while the next file is parsed


class _FileTexts(Mapping[str, str]):
    """The text of each catalog file, read again only when a problem or warning needs its line: a loaded catalog
    does not keep its files' text (10 MB for 10,000 offerings)."""

    def __init__(self, files: dict[str, Path], limits: Limits) -> None:
        self._files = files
        self._limits = limits
        self._read: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._read:
            if name not in self._files:
                raise KeyError(name)
            try:
                self._read[name] = read_text(self._files[name], name, self._limits)
            except LoadError:  # gone or changed since it loaded: its problems keep no line
                raise KeyError(name) from None
        return self._read[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Reading and building a catalog creates a few hundred thousand objects that all live on; the cyclic garbage
    collector would walk them again at every collection while they are made (10,000 offerings: 1.9 s with it,
    0.65 s without), and once more at the first collection after. Paused while a catalog is loaded; once it is
    loaded, every object then alive moves to the permanent generation (before the collector runs again, or its
    first collection would walk them all); the collector is as it was before afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()  # not when loading failed: what it made is garbage
    finally:
        if enabled:
            gc.enable()


def load_inventory(path: str | Path, catalog: Catalog, limits: Limits = DEFAULT) -> Inventory:
    """Load a JSON or YAML list of TMF637 products (within ``limits``) and check it against ``catalog``."""
    file = Path(path)
    name = str(file)
    text = read_text(file, name, limits)
    data = parse_text(text, name, yaml_syntax=file.suffix.lower() != ".json", limits=limits)
    try:
        return Inventory.from_document(catalog, data, name)
    except LoadError as exc:
        raise _located(type(exc), str(exc).splitlines()[0], exc.problems, {name: text}) from None


def _located(cls: type[E], message: str, problems: list[Problem] | tuple[Problem, ...],
             texts: Mapping[str, str]) -> E:
    located = sorted(with_lines(problems, texts), key=Problem.sort_key)
    return cls(message, located)


def rule_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".yaml", ".yml"))


def rule_text(file: Path, limits: Limits = DEFAULT) -> str:
    """The text of a rule file, refused by its size before it is read when it is over ``max_rule_file_bytes``."""
    try:
        size = file.stat().st_size
    except OSError:
        size = 0  # read_text says why it cannot be read
    if size > limits.max_rule_file_bytes:
        raise LoadError(f"{file}: rule file too large", [Problem(str(file), "$", rule_file_too_large(size, limits))])
    return read_text(file, str(file), limits)


def analyze_rules(path: str | Path, catalog: Catalog, limits: Limits = DEFAULT) -> tuple[list[Problem], Analysis]:
    """``check --analyze``: every problem of the rule files under ``path`` (what :func:`load_rules` refuses) and
    the analysis of every rule that compiled (:func:`odedelta.rules.analysis.analyze`), so one run shows both."""
    root = Path(path)
    if not root.exists():
        raise RuleError(f"{root}: no such rules directory", [Problem(str(root), "$", "no such file or directory")])
    documents = []
    problems: list[Problem] = []
    for file in rule_files(root):
        try:
            documents.append((str(file), rule_text(file, limits)))
        except LoadError as exc:
            problems.extend(exc.problems)
    rules, found = check_rule_documents(documents, catalog, limits)
    problems = sorted(problems + found, key=lambda p: (p.file, p.line or 0, p.column or 0, p.message))
    return problems, analyze(rules)


def load_rules(path: str | Path, catalog: Catalog, executor: Executor | str | None = None,
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
            documents.append((str(file), rule_text(file, limits)))
        except LoadError as exc:
            unreadable.extend(exc.problems)
    rules, problems = check_rule_documents(documents, catalog, limits)
    problems = unreadable + problems
    if problems:
        problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or 0, p.message))
        raise RuleError(f"{root}: the rules have {len(problems)} problem(s)", problems)
    try:
        return Rulebook(bind_policies(rules, catalog), executor)  # TMF620 v5 policy refs naming rules
    except ExecutorError as exc:  # what the executor cannot run, at the rule that asks for it
        rule = next((r for r in rules if r.id == exc.rule_id), None)
        where = Problem(rule.file, "$", str(exc), rule.line) if rule else Problem(str(root), "$", str(exc))
        raise RuleError(f"{root}: the rules cannot run", [where]) from None
