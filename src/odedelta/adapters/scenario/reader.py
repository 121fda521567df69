"""Reading scenario files: the files a list of paths names, and each file parsed and validated, every problem reported
with its file, line and JSON path."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from pydantic import ValidationError

from odedelta.adapters.scenario.format import ScenarioFile
from odedelta.model.errors import LoadError, Problem
from odedelta.model.limits import DEFAULT, Limits
from odedelta.model.plain import plain_words
from odedelta.model.source import parse_text, read_text, with_lines


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """``*.yaml`` files: the paths given, and every one below a directory given, sorted."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.yaml") if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise LoadError(f"{path}: no such scenario file or directory", [Problem(str(path), "$", "not found")])
    return files


def read_scenario_file(path: Path, limits: Limits = DEFAULT) -> ScenarioFile:
    name = str(path)
    text = read_text(path, name, limits)
    data = parse_text(text, name, yaml_syntax=True, limits=limits)
    try:
        return ScenarioFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [p for p in error["loc"] if isinstance(p, (str, int))]
            message, suggestion = plain_words(error, loc)
            problems.append(replace(Problem.at(name, loc, message), suggestion=suggestion))
        raise LoadError(f"{name}: not a valid scenario file", with_lines(problems, {name: text})) from None


