"""Validate documents against a named schema of a TM Forum Open API spec (Swagger 2.0 / OpenAPI 3).

Vendored from the team's own validator (shared/tmf/validate.py: our code, not TM Forum's); odedelta uses it to
check every TMF622/TMF679 document it emits. Only the library part is vendored: the command line below stays in the
original (a core module reads no file and prints nothing). Its original notes follow.

Usage:
    python validate.py SPEC_FILE SCHEMA_NAME DOC.json [DOC.json ...] [options]
    python validate.py SPEC_FILE --list [SUBSTRING]
    python validate.py SPEC_FILE --check-spec

SPEC_FILE is a Swagger 2.0 file (schemas under ``definitions``, the TMF v4 APIs) or an
OpenAPI 3.0 file (schemas under ``components/schemas``, the TMF v5 APIs), in JSON or YAML.
SCHEMA_NAME names one of those schemas, e.g. ``ProductOrder``, ``ProductOrder_Create`` (v4)
or ``ProductOrder_FVO`` (v5).  A DOC that is a JSON array is validated element by element
unless the named schema is itself an array schema.

Exit status: 0 every document is valid; 1 at least one is not (errors are printed);
2 nothing could be validated (unreadable spec or document, unknown schema name).

How the spec is turned into plain JSON Schema (draft 2020-12):
  * every schema becomes ``$defs/<name>``; internal ``$ref``s are rewritten to point there.
    As OpenAPI 3.0 / Swagger 2.0 require, keywords beside a ``$ref`` are ignored.
  * ``nullable: true`` (and Swagger's ``x-nullable``) also admits ``null``; boolean
    ``exclusiveMinimum``/``exclusiveMaximum`` become their draft 2020-12 numeric forms;
    ``example``, ``discriminator``, ``xml`` and ``x-*`` annotations are dropped.
  * polymorphism (v5): a schema with a ``discriminator`` on ``@type`` is validated according
    to the instance's ``@type``: the discriminator ``mapping``, plus every schema that
    inherits from it through a top-level ``allOf`` (the implicit mapping), plus whatever the
    members of a ``oneOf``/``anyOf`` wrapper (``ProductRefOrValue`` and similar) know.
    ``@type: StringCharacteristic`` under ``Characteristic`` is thus checked against
    ``StringCharacteristic`` (a string ``value``).  An ``@type`` that none of these know is
    validated against the base schema alone and reported as a warning (``--strict``
    turns such warnings into errors).  Where a discriminated ``oneOf`` cannot pick a member
    it is relaxed to ``anyOf``, because TMF's member schemas overlap.
    A Swagger 2.0 ``discriminator: "@type"`` is handled the same way (implicit mapping).
  * formats ``date-time`` (RFC 3339) and ``date`` are checked unless ``--no-formats``.
  * TMF schemas never forbid extra properties, so a misspelt or wrong-version field passes;
    ``--strict-properties`` reports every property the schemas do not declare (with a
    "did you mean"), except inside objects that declare an extension with ``@schemaLocation``.

Depends only on ``jsonschema`` (>= 4.0; tested with 4.17.3 and 4.26.0) and ``pyyaml``.  Python 3.11+.

The functions ``load_spec``, ``compile_spec`` and ``validate_document`` can be imported
(e.g. from a pytest suite) with this file's directory on ``sys.path``.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema import validators
from jsonschema.exceptions import ValidationError, best_match

__all__ = [
    "CompiledSpec",
    "Problem",
    "Report",
    "SpecError",
    "compile_spec",
    "load_spec",
    "validate_document",
]

DISPATCH_KEYWORD = "x-tmf-dispatch"
BASE_SUFFIX = "__base"

_SCHEMA_MAP_KEYS = ("properties", "patternProperties", "dependentSchemas")
_SCHEMA_KEYS = (
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
)
_SCHEMA_LIST_KEYS = ("allOf", "anyOf", "oneOf", "prefixItems")
_DROPPED_KEYS = frozenset({"discriminator", "example", "examples", "xml", "externalDocs", "nullable", "$schema", "$id"})
_SCHEMA_REF_PREFIXES = ("#/components/schemas/", "#/definitions/")


class SpecError(Exception):
    """The spec, the schema name or a document cannot be used."""


# --------------------------------------------------------------------------- loading


def load_spec(path: str | Path) -> dict[str, Any]:
    """Read a Swagger 2.0 / OpenAPI 3.x file (JSON or YAML)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{path}: cannot read spec: {exc.strerror or exc}") from exc
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            data = yaml.load(text, Loader=loader)  # CSafeLoader or SafeLoader: safe
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: not valid JSON/YAML: {exc}") from exc
    if not isinstance(data, dict) or not ({"swagger", "openapi"} & data.keys()):
        raise SpecError(f"{path}: not a Swagger 2.0 / OpenAPI 3 document (no 'swagger'/'openapi' key)")
    return data


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _def_ref(name: str) -> str:
    return "#/$defs/" + _escape(name)


def _unref(ref: str) -> str:
    return ref[len("#/$defs/") :].replace("~1", "/").replace("~0", "~")


@dataclass
class CompiledSpec:
    """A spec turned into one JSON Schema document with every schema under ``$defs``."""

    source: str
    flavour: str  # "swagger2" or "openapi3"
    version: str
    names: list[str]
    root: dict[str, Any]
    issues: list[str] = field(default_factory=list)
    schemas: dict[str, Any] = field(default_factory=dict, repr=False)  # the spec's own, untransformed

    def schema_for(self, name: str) -> dict[str, Any]:
        return {**self.root, "$ref": _def_ref(name)}

    def is_array_schema(self, name: str) -> bool:
        body = self.root["$defs"].get(name + BASE_SUFFIX) or self.root["$defs"].get(name, {})
        return bool(body.get("type") == "array")


class _Compiler:
    def __init__(self, spec: dict[str, Any], source: str) -> None:
        self.source = source
        if "swagger" in spec:
            self.flavour = "swagger2"
            schemas = spec.get("definitions") or {}
        else:
            self.flavour = "openapi3"
            schemas = (spec.get("components") or {}).get("schemas") or {}
        if not isinstance(schemas, dict) or not schemas:
            raise SpecError(f"{source}: the spec defines no schemas")
        self.schemas: dict[str, Any] = schemas
        self.version = str((spec.get("info") or {}).get("version", "?"))
        self.issues: list[str] = []
        self.discriminated: set[str] = set()
        for name, schema in schemas.items():
            disc = schema.get("discriminator") if isinstance(schema, dict) else None
            if disc:
                prop = disc.get("propertyName") if isinstance(disc, dict) else disc
                if prop == "@type":
                    self.discriminated.add(name)
                else:
                    self.issues.append(f"{name}: discriminator on {prop!r}, not '@type' (ignored)")
        for name in schemas:
            if name.endswith(BASE_SUFFIX) and name[: -len(BASE_SUFFIX)] in self.discriminated:
                raise SpecError(f"{source}: schema name {name!r} clashes with an internal name")
        parents = {name: self._top_allof_refs(s) for name, s in schemas.items()}
        self.descendants: dict[str, set[str]] = {name: set() for name in schemas}
        for name in schemas:
            seen: set[str] = set()
            todo = list(parents[name])
            while todo:
                ancestor = todo.pop()
                if ancestor not in seen and ancestor in schemas:
                    seen.add(ancestor)
                    self.descendants[ancestor].add(name)
                    todo.extend(parents[ancestor])

    # -- refs
    def _ref_name(self, ref: Any, where: str) -> str | None:
        if isinstance(ref, str):
            for prefix in _SCHEMA_REF_PREFIXES:
                if ref.startswith(prefix):
                    name = ref[len(prefix) :].replace("~1", "/").replace("~0", "~")
                    if name in self.schemas:
                        return name
                    self.issues.append(f"{where}: $ref {ref!r} points to no schema (accepted as anything)")
                    return None
        self.issues.append(f"{where}: unsupported $ref {ref!r} (accepted as anything)")
        return None

    def _top_allof_refs(self, schema: Any) -> list[str]:
        out = []
        if isinstance(schema, dict):
            for member in schema.get("allOf") or []:
                if isinstance(member, dict) and "$ref" in member:
                    ref = member["$ref"]
                    for prefix in _SCHEMA_REF_PREFIXES:
                        if isinstance(ref, str) and ref.startswith(prefix):
                            out.append(ref[len(prefix) :])
        return out

    # -- schema bodies
    def transform(self, node: Any, where: str, top: bool = False, parent: bool = False) -> Any:
        """Rewrite one OpenAPI/Swagger schema object into draft 2020-12.

        ``top``: ``node`` is a named schema, so the ``$ref``s of its own ``allOf`` name its
        parents (``parent``), which are used without their own @type dispatch.
        """
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            name = self._ref_name(node["$ref"], where)
            if name is None:
                return {}
            if parent and name in self.discriminated:
                return {"$ref": _def_ref(name + BASE_SUFFIX)}
            return {"$ref": _def_ref(name)}
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROPPED_KEYS or key.startswith("x-"):
                continue
            path = f"{where}/{key}"
            if key in _SCHEMA_MAP_KEYS and isinstance(value, dict):
                out[key] = {k: self.transform(v, f"{path}/{k}") for k, v in value.items()}
            elif key in _SCHEMA_KEYS:
                out[key] = self.transform(value, path)
            elif key == "items":
                if isinstance(value, list):  # draft-4 tuple form
                    out["prefixItems"] = [self.transform(v, f"{path}/{i}") for i, v in enumerate(value)]
                else:
                    out["items"] = self.transform(value, path)
            elif key in _SCHEMA_LIST_KEYS and isinstance(value, list):
                out[key] = [
                    self.transform(v, f"{path}/{i}", parent=(top and key == "allOf")) for i, v in enumerate(value)
                ]
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
                bound = "minimum" if key == "exclusiveMinimum" else "maximum"
                if value and bound in node:
                    out[key] = node[bound]
            elif key == "type" and value == "file":
                continue
            else:
                out[key] = value
        for key in ("minimum", "maximum"):
            if key in out and node.get("exclusive" + key.capitalize()) is True:
                del out[key]
        if node.get("nullable") is True or node.get("x-nullable") is True:
            if isinstance(out.get("type"), str):
                out["type"] = [out["type"], "null"]
                if isinstance(out.get("enum"), list) and None not in out["enum"]:
                    out["enum"] = [*out["enum"], None]
            elif "type" in out or "enum" in out or "allOf" in out or "anyOf" in out or "oneOf" in out:
                return {"anyOf": [{"type": "null"}, out]}
        return out

    # -- polymorphism
    def _direct_targets(self, name: str) -> dict[str, tuple[str, bool]]:
        """@type value -> (schema name, is-terminal) for one dispatch step from ``name``."""
        schema = self.schemas[name]
        disc = schema.get("discriminator")
        targets: dict[str, tuple[str, bool]] = {name: (name, True)}
        mapping = disc.get("mapping", {}) if isinstance(disc, dict) else {}
        for type_name, ref in mapping.items():
            target = self._ref_name(ref, f"{name}/discriminator/mapping/{type_name}")
            if target is not None:
                targets[type_name] = (target, target == name)
        for other in sorted(self.descendants[name]):  # implicit mapping: schemas inheriting from `name`
            targets.setdefault(other, (other, False))
        for key in ("oneOf", "anyOf"):  # wrappers route to members that know the @type
            for i, member in enumerate(schema.get(key) or []):
                if isinstance(member, dict) and "$ref" in member:
                    target = self._ref_name(member["$ref"], f"{name}/{key}/{i}")
                    if target is not None:
                        targets.setdefault(target, (target, False))
                        if target in self.discriminated:
                            for type_name in self._known_types(target, {name}):
                                targets.setdefault(type_name, (target, False))
        return targets

    def _known_types(self, name: str, visiting: set[str]) -> set[str]:
        if name in visiting or name not in self.discriminated:
            return set()
        schema = self.schemas[name]
        disc = schema["discriminator"]
        known = {name} | set((disc.get("mapping") or {}) if isinstance(disc, dict) else {})
        known |= self.descendants[name]
        for key in ("oneOf", "anyOf"):
            for member in schema.get(key) or []:
                if isinstance(member, dict) and isinstance(member.get("$ref"), str):
                    target = member["$ref"].rsplit("/", 1)[-1]
                    known |= self._known_types(target, visiting | {name})
        return known

    def _final_target(self, name: str, type_name: str, steps: dict[str, dict[str, tuple[str, bool]]]) -> str:
        """Follow dispatch steps for one @type value until a concrete schema body."""
        seen = {name}
        current, terminal = steps[name][type_name]
        while not terminal and current in self.discriminated:
            if current in seen or type_name not in steps[current]:
                break
            seen.add(current)
            current, terminal = steps[current][type_name]
        if current in self.discriminated:
            return _def_ref(current + BASE_SUFFIX)
        return _def_ref(current)

    def compile(self) -> CompiledSpec:
        defs: dict[str, Any] = {}
        for name, schema in self.schemas.items():
            body = self.transform(schema, name, top=True)
            if name in self.discriminated and isinstance(body, dict) and "oneOf" in body:
                body["anyOf"] = body.pop("oneOf")  # the discriminator picks; overlap is fine
            defs[name + BASE_SUFFIX if name in self.discriminated else name] = body
        steps = {name: self._direct_targets(name) for name in sorted(self.discriminated)}
        for name in sorted(self.discriminated):
            targets = {t: self._final_target(name, t, steps) for t in sorted(steps[name])}
            defs[name] = {
                DISPATCH_KEYWORD: {
                    "schema": name,
                    "property": "@type",
                    "targets": targets,
                    "fallback": _def_ref(name + BASE_SUFFIX),
                }
            }
        root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs}
        return CompiledSpec(
            source=self.source,
            flavour=self.flavour,
            version=self.version,
            names=sorted(self.schemas),
            root=root,
            issues=sorted(set(self.issues)),
            schemas=self.schemas,
        )


_CACHE: dict[tuple[str, float], CompiledSpec] = {}


def compile_spec(spec: dict[str, Any] | str | Path, source: str | None = None) -> CompiledSpec:
    """Compile a spec (a loaded dict, or a path: compiled once per file version)."""
    if isinstance(spec, (str, Path)):
        path = Path(spec)
        key = (str(path.resolve()), path.stat().st_mtime if path.exists() else 0.0)
        if key not in _CACHE:
            _CACHE[key] = _Compiler(load_spec(path), str(path)).compile()
        return _CACHE[key]
    return _Compiler(spec, source or "<spec>").compile()


# --------------------------------------------------------------------------- validating


@dataclass(frozen=True)
class Problem:
    path: str  # JSONPath-like location in the document, e.g. $.productOrderItem[0].action
    message: str
    schema_path: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}"
        return text + (f"\n      (schema: {self.schema_path})" if self.schema_path else "")


@dataclass(frozen=True, slots=True)
class Report:
    errors: list[Problem]
    warnings: list[Problem]

    @property
    def valid(self) -> bool:
        return not self.errors


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _json_path(parts: Iterable[Any], prefix: str = "$") -> str:
    out = prefix
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(str(part)):
            out += f".{part}"
        else:
            out += "[" + json.dumps(str(part)) + "]"
    return out


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _DATE_TIME.match(value):
            return False
        _dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return True

    @checker.checks("date", raises=ValueError)
    def _date(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
            return False
        _dt.date.fromisoformat(value)
        return True

    return checker


def _validator_class(unknown_types: list[tuple[int, str, str, list[str]]]) -> type:
    def dispatch(validator: Any, spec: dict[str, Any], instance: Any, schema: Any) -> Iterator[ValidationError]:
        target = spec["fallback"]
        if isinstance(instance, dict):
            type_name = instance.get(spec["property"])
            if isinstance(type_name, str):
                if type_name in spec["targets"]:
                    target = spec["targets"][type_name]
                else:
                    unknown_types.append((id(instance), type_name, spec["schema"], sorted(spec["targets"])))
        yield from validator.descend(instance, {"$ref": target}, schema_path=_unref(target))

    cls: type = validators.extend(  # type: ignore[no-untyped-call]  # jsonschema's extend has no annotations
        jsonschema.Draft202012Validator, {DISPATCH_KEYWORD: dispatch}
    )
    return cls


def _paths_by_id(doc: Any) -> dict[int, str]:
    found: dict[int, str] = {}

    def walk(node: Any, parts: list[Any]) -> None:
        if isinstance(node, dict):
            found.setdefault(id(node), _json_path(parts))
            for k, v in node.items():
                walk(v, [*parts, k])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, [*parts, i])

    walk(doc, [])
    return found


def _schema_trail(error: ValidationError, root: dict[str, Any]) -> str:
    """The named schemas an error went through, e.g. ``ProductOrder > ProductOrderItem > ItemActionType: enum``."""
    defs = root["$defs"]
    node: Any = root
    names: list[str] = []

    def follow(ref_node: dict[str, Any]) -> Any:
        name = _unref(ref_node["$ref"])
        short = name.removesuffix(BASE_SUFFIX)
        if not names or names[-1] != short:
            names.append(short)
        return defs.get(name, {})

    tokens = list(error.absolute_schema_path)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        # jsonschema leaves "$ref" out of schema paths (some versions keep it): follow refs implicitly
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and token not in node:
            node = follow(node)
        if token == "$ref" and isinstance(node, dict) and isinstance(node.get("$ref"), str):
            node = follow(node)
        elif token == DISPATCH_KEYWORD and i + 1 < len(tokens):
            i += 1
            node = {"$ref": _def_ref(str(tokens[i]))}
        elif isinstance(node, dict) and token in node:  # noqa: SIM114 - kept apart for mypy (str vs int index)
            node = node[token]
        elif isinstance(node, list) and isinstance(token, int) and token < len(node):
            node = node[token]
        else:
            break
        i += 1
    keyword = tokens[-1] if tokens else ""
    return " > ".join(names) + (f": {keyword}" if keyword else "")


def _short(instance: Any) -> str:
    text = repr(instance)
    if len(text) <= 80:
        return text
    if isinstance(instance, dict):
        keys = ", ".join(map(repr, list(instance)[:6])) + (", ..." if len(instance) > 6 else "")
        return f"<object with keys {keys}>"
    if isinstance(instance, list):
        return f"<array of {len(instance)} items>"
    return text[:77] + "..."


def _message(error: ValidationError) -> str:
    message = str(error.message)
    full = repr(error.instance)
    if len(full) > 80 and message.startswith(full):  # "<huge repr> is not of type 'string'"
        message = _short(error.instance) + message[len(full) :]
    return message


def _describe(error: ValidationError, prefix: str, root: dict[str, Any]) -> Problem:
    message = _message(error)
    if error.validator in ("anyOf", "oneOf") and error.context:
        names = [
            _unref(alt["$ref"]).removesuffix(BASE_SUFFIX)
            if isinstance(alt, dict) and "$ref" in alt
            else "inline schema"
            for alt in (error.validator_value if isinstance(error.validator_value, list) else [])
        ]
        best = best_match(error.context)
        where = _json_path(best.absolute_path, prefix)
        message = f"{_short(error.instance)} matches none of {', '.join(names)}; closest: {where}: {_message(best)}"
    if len(message) > 600:
        message = message[:600] + " ..."
    return Problem(_json_path(error.absolute_path, prefix), message, _schema_trail(error, root))


class _ExtraProperties:
    """Find properties a schema does not declare (TMF schemas allow any, so typos pass validation).

    Objects carrying ``@schemaLocation`` (a declared TMF extension) or an unknown ``@type`` are skipped.
    """

    def __init__(self, compiled: CompiledSpec) -> None:
        self.compiled = compiled
        self.problems: list[Problem] = []

    def _resolve(self, schema: Any) -> tuple[str | None, Any]:
        name = None
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            name = schema["$ref"].rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
            schema = self.compiled.schemas.get(name)
        return name, schema

    def _props(self, schema: Any, seen: frozenset[int] = frozenset()) -> dict[str, Any] | None:
        """Declared properties, through allOf; None when unknowable (oneOf/anyOf, no properties at all)."""
        if not isinstance(schema, dict) or id(schema) in seen:
            return None
        if "oneOf" in schema or "anyOf" in schema:
            return None
        props: dict[str, Any] = {}
        found = "properties" in schema
        for member in schema.get("allOf") or []:
            _, resolved = self._resolve(member)
            sub = self._props(resolved, seen | {id(schema)})
            if sub is not None:
                props.update(sub)
                found = True
        props.update(schema.get("properties") or {})
        return props if found else None

    def walk(self, node: Any, schema: Any, parts: list[Any], prefix: str) -> None:
        name, schema = self._resolve(schema)
        if isinstance(node, dict) and name is not None:
            dispatch = self.compiled.root["$defs"].get(name, {}).get(DISPATCH_KEYWORD)
            if dispatch is not None:
                type_name = node.get("@type")
                if isinstance(type_name, str) and type_name not in dispatch["targets"]:
                    return  # unknown sub-type: already a warning
                target = dispatch["targets"].get(type_name, dispatch["fallback"])
                name = _unref(target).removesuffix(BASE_SUFFIX)
                schema = self.compiled.schemas.get(name)
        if isinstance(node, list) and isinstance(schema, dict) and "items" in schema:
            for i, item in enumerate(node):
                self.walk(item, schema["items"], [*parts, i], prefix)
            return
        if not isinstance(node, dict):
            return
        props = self._props(schema)
        if props is None:
            return
        for key, value in node.items():
            if key in props:
                self.walk(value, props[key], [*parts, key], prefix)
            elif "@schemaLocation" not in node:
                close = difflib.get_close_matches(key, list(props), n=1, cutoff=0.75)
                hint = f" - did you mean {close[0]!r}?" if close else ""
                where = name or "this schema"
                self.problems.append(
                    Problem(_json_path([*parts, key], prefix), f"property {key!r} is not declared by {where}{hint}")
                )


def validate_document(
    spec: CompiledSpec | dict[str, Any] | str | Path,
    schema_name: str,
    document: Any,
    *,
    check_formats: bool = True,
    strict_types: bool = False,
    strict_properties: bool = False,
    each: bool | None = None,
) -> Report:
    """Validate ``document`` against schema ``schema_name`` of ``spec``.

    ``each``: validate a list document element by element (default: when it is a list and the
    named schema is not an array schema).  ``strict_types``: unknown ``@type`` values are errors.
    ``strict_properties``: properties the schemas do not declare are errors (objects with
    ``@schemaLocation`` excepted).
    """
    compiled = spec if isinstance(spec, CompiledSpec) else compile_spec(spec)
    if schema_name.startswith(_SCHEMA_REF_PREFIXES):
        schema_name = schema_name.rsplit("/", 1)[-1]
    if schema_name not in compiled.names:
        close = difflib.get_close_matches(schema_name, compiled.names, n=5, cutoff=0.6)
        hint = f" - did you mean {', '.join(close)}?" if close else " (use --list to see them)"
        raise SpecError(f"{compiled.source}: no schema named {schema_name!r}{hint}")
    if each is None:
        each = isinstance(document, list) and not compiled.is_array_schema(schema_name)
    items = list(enumerate(document)) if each else [(None, document)]

    unknown: list[tuple[int, str, str, list[str]]] = []
    cls = _validator_class(unknown)
    root = compiled.schema_for(schema_name)
    validator = cls(root, format_checker=_format_checker() if check_formats else None)
    errors: list[Problem] = []
    for index, item in items:
        prefix = "$" if index is None else f"$[{index}]"
        found = sorted(validator.iter_errors(item), key=lambda e: (list(map(str, e.absolute_path)), e.message))
        errors.extend(_describe(e, prefix, root) for e in found)
        if strict_properties:
            extra = _ExtraProperties(compiled)
            extra.walk(item, {"$ref": "#/components/schemas/" + schema_name}, [], prefix)
            errors.extend(extra.problems)
    warnings: list[Problem] = []
    paths: dict[int, str] = {}
    for index, item in items:
        for obj_id, path in _paths_by_id(item).items():
            paths.setdefault(obj_id, path if index is None else "$[" + str(index) + "]" + path[1:])
    seen: set[str] = set()
    for obj_id, type_name, base, known in unknown:
        path = paths.get(obj_id, "$?")
        if path in seen:  # a wrapper's fallback re-dispatches the same object: report it once
            continue
        seen.add(path)
        shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        warnings.append(
            Problem(
                path,
                f"@type {type_name!r} is not a known sub-type of {base} (known: {shown}); checked against {base} only",
            )
        )
    warnings.sort(key=lambda p: p.path)
    if strict_types:
        errors.extend(warnings)
        warnings = []
    return Report(errors=errors, warnings=warnings)
