"""The condition language of rule files, and its compiler to durable-rules JSON conditions.

A condition is one expression a product manager can read aloud::

    change.direction == 'downgrade' and term.active and term.months_elapsed < 6
    target.offering in ['po-business-fiber-1000', 'po-business-mobile'] and customer.segment != 'business'
    'cat-tv' in target.categories and not exists(customer.attributes.tv_licence)
    term.end < date('2026-12-31') or target.price - installed.price > 20

It is parsed with :mod:`ast` and only this subset is accepted: ``and``/``or``/``not``; comparisons ``==``, ``!=``,
``<``, ``<=``, ``>``, ``>=`` (chains such as ``0 < x < 5`` too); ``in`` / ``not in`` a list of constants, or a
constant in a list fact; ``+ - * /`` on numbers; ``exists(fact)``; ``date('YYYY-MM-DD')``; facts (dotted names);
strings, numbers, ``true``/``false``. Anything else is an error with its column. Every fact is checked against
the fact catalogue (:mod:`odedelta.rules.facts`) and every comparison against the facts' types, before anything
runs.

The compiled form is durable-rules' JSON condition language, restricted to what both executors implement the
same way (see :mod:`odedelta.rules.executor`): a fact that is absent is never sent; its name is listed in the
fact ``_absent``, which ``exists()`` and ``not in`` read (durable's ``$nex`` hangs, and its ``$iall`` is false on an
empty list). A comparison with an absent fact is false, whatever the operator; a fact read on the right-hand side
of a comparison is guarded with ``$ex`` (durable would otherwise compute with it as if it were there). Arithmetic
runs on the right-hand side only: the compiler moves it there (``a - b >= 10`` becomes ``a >= 10 + b``).
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from odedelta.model.errors import closest, did_you_mean
from odedelta.model.limits import DEFAULT, Limits

ABSENT = "_absent"
STRING, NUMBER, BOOLEAN, DATE, LIST, ANY = "string", "number", "boolean", "date", "list of strings", "any"
EPOCH = dt.date(1970, 1, 1)

_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_DURABLE_OP = {"!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ARITH = {ast.Add: "$add", ast.Sub: "$sub", ast.Mult: "$mul", ast.Div: "$div"}
_FOLD = {ast.Add: Decimal.__add__, ast.Sub: Decimal.__sub__, ast.Mult: Decimal.__mul__, ast.Div: Decimal.__truediv__}
ALWAYS: dict[str, Any] = {"$ex": {ABSENT: 1}}
"""The compiled form of a rule without a condition: every set of facts carries ``_absent`` (never empty)."""


def date_number(text: str) -> int:
    """Dates are compared as days since 1970-01-01."""
    return (dt.date.fromisoformat(text) - EPOCH).days


@dataclass(frozen=True)
class ExprError:
    """A problem in a condition: ``column`` is 0-based within the expression text."""

    column: int
    message: str
    suggestion: str | None = None
    more: tuple[ExprError, ...] = field(default=(), compare=False)
    """Every other problem of the same condition (in the other operands of its ``and``/``or``), so one run
    reports them all: an unquoted ``business`` does not hide a ``'Downgrade'`` beside it."""

    def all(self) -> list[ExprError]:
        return [self, *self.more]


class _Failed(Exception):
    def __init__(self, node: ast.AST | None, message: str, suggestion: str | None = None) -> None:
        self.column = getattr(node, "col_offset", 0) if node is not None else 0
        self.suggestion = suggestion
        super().__init__(message)


_AMOUNT_WITH_CURRENCY = re.compile(r"(\d+(?:\.\d+)?)\s*(?:[A-Z]{3}\b|€|\$|£)")


@dataclass(frozen=True)
class _Value:
    """A typed operand: a fact (``fact`` set), a constant, or arithmetic (durable JSON in ``json``)."""

    type: str
    json: Any
    fact: str | None = None
    node: ast.AST | None = None


@dataclass
class Compiled:
    condition: dict[str, Any]
    facts: frozenset[str]
    """Every fact the condition reads."""
    attribute_types: dict[str, str] = field(default_factory=dict)
    """The type of each free attribute (``customer.attributes.x``): the type the condition compares it with."""
    problems: tuple[ExprError, ...] = field(default=())
    """What makes a part of the condition never true (a value a fact never takes, an id the catalog lacks, a fact
    the rule's kind never sees): the condition compiles, but the rule should be refused."""


class Compiler:
    """Compiles condition strings against a fact catalogue (``name → type``). Optionally: ``values``, the closed
    set of values of some facts; ``known``, for facts holding ids, ``(what, the ids that exist)``; ``unseen``, a
    message when a fact is never there for the rule being compiled (None when it is)."""

    def __init__(self, fact_types: Mapping[str, str], open_prefixes: tuple[str, ...] = (),
                 limits: Limits = DEFAULT, *, values: Mapping[str, Collection[str]] | None = None,
                 known: Mapping[str, tuple[str, Collection[str]]] | None = None,
                 unseen: Callable[[str], str | None] | None = None) -> None:
        self.fact_types = fact_types
        self.open_prefixes = open_prefixes  # e.g. customer.attributes.: any name below it, type any
        self.limits = limits
        self.values = values or {}
        self.known = known or {}
        self.unseen = unseen
        self._used: set[str] = set()
        self._soft: list[ExprError] = []
        self._text = ""
        self._types: dict[str, str] = {}

    def compile(self, text: str) -> Compiled | ExprError:
        """Compile one condition, in time linear in its length: the text, its syntax tree's size and depth and
        the width of every ``or``/``and``/``in [...]`` are checked against the limits before anything recurses."""
        self._used = set()
        self._types = {}
        self._soft = []
        self._hard: list[_Failed] = []
        self._text = text.strip()
        limits = self.limits
        if len(text) > limits.max_condition_chars:
            return ExprError(0, f"condition of {len(text)} characters (at most {limits.max_condition_chars})"
                                + _in_suggestion_text(text, limits))
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            money = _AMOUNT_WITH_CURRENCY.search(self._text)
            if money is not None:
                return ExprError(money.start(), "amounts are plain numbers in the catalog's currency",
                                 f"write {money.group(1)}")
            if not exc.offset and self._text:  # Python's parser says 0 when the text ends too early
                last = re.search(r"(\S+)\s*$", self._text)
                assert last is not None
                return ExprError(last.start(1), f"not a condition: it ends with {last.group(1)!r}, expected "
                                                "something after it")
            return ExprError(max((exc.offset or 1) - 1, 0), f"not a condition: {exc.msg}")
        except (RecursionError, MemoryError, ValueError):
            return ExprError(0, f"condition nested too deeply to read (at most {limits.max_condition_depth} levels)")
        problem = _shape_problem(tree.body, limits)
        if problem is not None:
            return problem
        try:
            condition = self._condition(tree.body, negate=False)
        except _Failed as exc:
            self._hard.append(exc)
        if self._hard:
            hard = sorted((ExprError(self._chars(e.column), str(e), e.suggestion) for e in self._hard),
                          key=lambda e: e.column)
            rest = sorted([*hard[1:], *self._soft], key=lambda e: e.column)
            return ExprError(hard[0].column, hard[0].message, hard[0].suggestion, tuple(rest))
        return Compiled(condition, frozenset(self._used), dict(self._types), tuple(self._soft))

    def _chars(self, offset: int) -> int:
        """ast counts columns in UTF-8 bytes; the author counts characters."""
        return len(self._text.encode("utf-8")[:offset].decode("utf-8", "ignore"))

    def _note(self, node: ast.AST | None, message: str, suggestion: str | None = None) -> None:
        self._soft.append(ExprError(self._chars(getattr(node, "col_offset", 0)), message, suggestion))

    def _check_value(self, fact: str | None, value: Any, node: ast.AST | None) -> None:
        """A constant compared with (or looked up in) ``fact``: one of the fact's values, an id that exists."""
        if fact is None or not isinstance(value, str):
            return
        if fact in self.values and value not in self.values[fact]:
            allowed = self.values[fact]
            guess = closest(value, allowed)
            self._note(node, f"{fact} is never {value!r}: it is one of {', '.join(map(repr, allowed))}",
                       f"did you mean {guess!r}?" if guess else None)
        elif fact in self.known:
            what, ids = self.known[fact]
            if value not in ids:
                guess = closest(value, ids)
                self._note(node, f"unknown {what} {value!r} (compared with {fact}): no such id in the catalog",
                           f"did you mean {guess!r}?" if guess else None)

    def _typed(self, value: _Value, kind: str, node: ast.AST | None) -> None:
        """A free attribute used as ``kind``: that is its type (one type per attribute)."""
        if value.type != ANY or value.fact is None or kind == ANY:
            return
        known = self._types.setdefault(value.fact, kind)
        if known != kind:
            raise _Failed(node, f"{value.fact} is used as a {known} and as a {kind}: an attribute has one type")

    # ------------------------------------------------------------------ conditions (true/false)
    def _condition(self, node: ast.AST, negate: bool) -> dict[str, Any]:
        if isinstance(node, ast.BoolOp):
            parts = []
            for operand in node.values:  # a problem in one operand: noted, and the others still checked
                try:
                    parts.append(self._condition(operand, negate))
                except _Failed as exc:
                    self._hard.append(exc)
                    parts.append(ALWAYS)
            is_and = isinstance(node.op, ast.And) != negate  # De Morgan
            return {"$and" if is_and else "$or": parts}
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self._condition(node.operand, not negate)
        if isinstance(node, ast.Compare):
            parts = []
            left = node.left
            for op, right in zip(node.ops, node.comparators, strict=True):
                parts.append(self._compare(left, op, right, negate))
                left = right
            if len(parts) == 1:
                return parts[0]
            return {"$or" if negate else "$and": parts}
        if isinstance(node, ast.Call) and _call_name(node) == "exists":
            fact = self._exists_argument(node)
            return self._absent(fact) if negate else {"$ex": {fact: 1}}
        if isinstance(node, (ast.Name, ast.Attribute)) and _dotted(node) not in ("true", "false"):
            value = self._operand(node)
            if value.type not in (BOOLEAN, ANY):
                raise _Failed(node, f"{value.fact} is a {value.type}, not true/false: compare it with something")
            self._typed(value, BOOLEAN, node)
            assert value.fact is not None  # a name other than true/false is a fact (or _operand refused it)
            return {value.fact: not negate}
        if (isinstance(node, ast.Constant) and isinstance(node.value, bool)) or _dotted(node) in ("true", "false"):
            raise _Failed(node, "a condition that is only true or false: leave 'when' out for a rule that always "
                                "applies")
        raise _Failed(node, f"not a condition: {ast.unparse(node)!r}; expected a comparison, 'and', 'or', "
                            "'not', 'in', exists(...) or a true/false fact")

    def _compare(self, left_node: ast.expr, op: ast.cmpop, right_node: ast.expr, negate: bool) -> dict[str, Any]:
        if isinstance(op, (ast.In, ast.NotIn)):
            return self._membership(left_node, right_node, isinstance(op, ast.NotIn) != negate)
        if type(op) not in _COMPARE:
            raise _Failed(right_node, f"operator {type(op).__name__} is not allowed; use == != < <= > >= in")
        symbol = _COMPARE[type(op)]
        if not _is_fact(left_node) and _is_fact(right_node):
            left_node, right_node, symbol = right_node, left_node, _FLIP[symbol]
        left_node, symbol, right_node = _isolate(left_node, symbol, right_node)
        left, right = self._operand(left_node), self._operand(right_node)
        self._check_types(left, right, symbol, left_node)
        if left.fact is None:
            if right.fact is None:
                raise _Failed(left_node, "one side of a comparison must be a fact on its own "
                                         f"(found {ast.unparse(left_node)!r} and {ast.unparse(right_node)!r})")
            left, right, symbol = right, left, _FLIP[symbol]
        if negate:
            symbol = _NEGATE[symbol]
        assert left.fact is not None
        if symbol in ("==", "!="):
            self._check_value(left.fact, right.json, right.node)
        test = {left.fact: right.json} if symbol == "==" else {_DURABLE_OP[symbol]: {left.fact: right.json}}
        referenced = sorted(_references(right.json))
        if not referenced:
            return test
        # durable-rules reads an absent fact referenced on the right as present: guard each one
        return {"$and": [*({"$ex": {name: 1}} for name in referenced), test]}

    def _membership(self, needle_node: ast.AST, hay_node: ast.AST, negated: bool) -> dict[str, Any]:
        if isinstance(hay_node, (ast.List, ast.Tuple, ast.Set)):
            needle = self._operand(needle_node)
            if needle.fact is None:
                raise _Failed(needle_node, "the left side of 'in [...]' must be a fact")
            options = [self._operand(e) for e in hay_node.elts]
            if not options:
                raise _Failed(hay_node, "an empty list: nothing can be in it")
            for option in options:
                if option.fact is not None or (option.node is not None and not isinstance(option.node, ast.Constant)):
                    raise _Failed(option.node, "a list after 'in' holds constants only")
                self._check_types(needle, option, "==", option.node or hay_node)
                self._check_value(needle.fact, option.json, option.node)
            if negated:
                return {"$and": [{"$neq": {needle.fact: o.json}} for o in options]}
            return {"$or": [{needle.fact: o.json} for o in options]}
        hay = self._operand(hay_node)
        if hay.type != LIST:
            raise _Failed(hay_node, f"'in' needs a list: {ast.unparse(hay_node)!r} is a {hay.type}")
        needle = self._operand(needle_node)
        if needle.fact is not None or not isinstance(needle.json, str):
            raise _Failed(needle_node, f"only a text constant can be looked up in {hay.fact} (e.g. 'cat-tv' in "
                                       f"{hay.fact})")
        assert hay.fact is not None
        self._check_value(hay.fact, needle.json, needle.node)
        if negated:
            return {"$or": [{"$iall": {hay.fact: {"$neq": {"$i": needle.json}}}}, self._absent(hay.fact)]}
        return {"$iany": {hay.fact: {"$i": needle.json}}}

    @staticmethod
    def _absent(fact: str) -> dict[str, Any]:
        return {"$iany": {ABSENT: {"$i": fact}}}

    def _exists_argument(self, node: ast.Call) -> str:
        if len(node.args) != 1 or node.keywords or not isinstance(node.args[0], (ast.Name, ast.Attribute)):
            raise _Failed(node, "exists takes one fact, e.g. exists(term.end)")
        value = self._operand(node.args[0])
        assert value.fact is not None
        return value.fact

    # ------------------------------------------------------------------ operands (values)
    def _operand(self, node: ast.AST) -> _Value:
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = _dotted(node)
            if name is None:
                raise _Failed(node, f"not a fact name: {ast.unparse(node)!r}")
            if name in ("true", "false"):
                return _Value(BOOLEAN, name == "true", node=node)
            return self._fact(name, node)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                return _Value(BOOLEAN, value, node=node)
            if isinstance(value, (int, float)):
                number = Decimal(str(value)) if isinstance(value, float) else value
                segment = ast.get_source_segment(self._text, node) if self._text else None
                problem = self.limits.number_problem(segment, number) if segment else \
                    self.limits.value_problem(number)
                if problem is not None:
                    raise _Failed(node, problem)
                return _Value(NUMBER, number, node=node)
            if isinstance(value, str):
                return _Value(STRING, value, node=node)
            raise _Failed(node, f"constant {value!r} is not allowed; use text, a number, true or false")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
                and isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool):
            inner = self._operand(node.operand)
            return _Value(NUMBER, -inner.json, node=node)
        if isinstance(node, ast.Call) and _call_name(node) == "date":
            if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant) or not isinstance(
                    node.args[0].value, str):
                raise _Failed(node, "date takes one text, e.g. date('2026-12-31')")
            try:
                return _Value(DATE, date_number(node.args[0].value), node=node)
            except ValueError:
                raise _Failed(node.args[0], f"{node.args[0].value!r} is not a date (YYYY-MM-DD)") from None
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            left, right = self._operand(node.left), self._operand(node.right)
            for side, side_node in ((left, node.left), (right, node.right)):
                if side.type not in (NUMBER, DATE, ANY):
                    raise _Failed(side_node, f"arithmetic needs numbers: {ast.unparse(side_node)!r} is a {side.type}")
                self._typed(side, NUMBER, side_node)
            result_type = DATE if DATE in (left.type, right.type) and isinstance(node.op, (ast.Add, ast.Sub)) \
                and not (left.type == DATE and right.type == DATE) else NUMBER
            if isinstance(node.op, ast.Div) and not isinstance(right.json, dict) and right.json == 0:
                raise _Failed(node.right, "division by zero")
            if not isinstance(left.json, dict) and not isinstance(right.json, dict):  # constants: fold them
                # (durable-rules does not compute arithmetic between two constants)
                folded = _FOLD[type(node.op)](Decimal(left.json), Decimal(right.json))
                if not folded.is_finite() or folded.adjusted() > self.limits.max_magnitude_exponent:
                    raise _Failed(node, f"{ast.unparse(node)!r} is {folded:.3e}, beyond the limit "
                                        f"(below 1e{self.limits.max_magnitude_exponent + 1})")
                return _Value(result_type, folded, node=node)
            json = {_ARITH[type(node.op)]: {"$l": left.json, "$r": right.json}}
            return _Value(result_type, json, node=node)
        if isinstance(node, ast.Call):
            raise _Failed(node, f"unknown function {_call_name(node) or ast.unparse(node.func)!r}; "
                                "the functions are exists(fact) and date('YYYY-MM-DD')")
        raise _Failed(node, f"not allowed here: {ast.unparse(node)!r}")

    def _fact(self, name: str, node: ast.AST) -> _Value:
        if name in self.fact_types:
            self._seen(name, node)
            return _Value(self.fact_types[name], {"$m": name}, fact=name, node=node)
        for prefix in self.open_prefixes:
            if name.startswith(prefix) and len(name) > len(prefix):
                self._seen(name, node)
                return _Value(ANY, {"$m": name}, fact=name, node=node)
        hint = did_you_mean(name, self.fact_types)
        if not hint and "." not in name:  # a word written without quotes
            raise _Failed(node, f"unknown fact {name!r}", f"quote text values: '{name}'")
        raise _Failed(node, f"unknown fact {name!r}{hint}")

    def _seen(self, name: str, node: ast.AST) -> None:
        self._used.add(name)
        problem = self.unseen(name) if self.unseen is not None else None
        if problem is not None:
            self._note(node, problem)

    def _check_types(self, left: _Value, right: _Value, symbol: str, node: ast.AST) -> None:
        if ANY in (left.type, right.type):
            self._typed(left, right.type, node)
            self._typed(right, left.type, node)
            return
        for listed, other in ((left, right), (right, left)):
            if listed.type == LIST and listed.fact is not None and other.type == STRING and other.fact is None:
                raise _Failed(node, f"{listed.fact} is a list: it is never equal to a text",
                              f"write {other.json!r} in {listed.fact}")
        if left.type != right.type:
            what = (left.fact or repr(left.json)), (right.fact or repr(right.json))
            raise _Failed(node, f"cannot compare {what[0]} ({left.type}) with {what[1]} ({right.type})")
        if symbol not in ("==", "!=") and left.type not in (NUMBER, DATE, STRING):
            raise _Failed(node, f"{symbol} needs numbers, dates or text; {left.fact or left.json} is a {left.type}")
        if left.type == LIST:
            raise _Failed(node, "lists are compared with 'in', e.g. 'cat-tv' in target.categories")


def _shape_problem(root: ast.AST, limits: Limits) -> ExprError | None:
    """Size, depth and width of a condition's syntax tree against the limits, walked without recursion."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        column = getattr(node, "col_offset", 0)
        if count > limits.max_condition_nodes:
            return ExprError(0, f"condition of more than {limits.max_condition_nodes} elements"
                                + _in_suggestion(root, limits))
        if depth > limits.max_condition_depth:
            return ExprError(column, f"condition nested deeper than {limits.max_condition_depth} levels "
                                     "(parentheses, 'not' or chained arithmetic)")
        width = len(node.values) if isinstance(node, ast.BoolOp) else len(node.elts) if isinstance(
            node, (ast.List, ast.Tuple, ast.Set)) else 0
        if width > limits.max_alternatives:
            what = "values in one list" if not isinstance(node, ast.BoolOp) else \
                f"operands of one '{'or' if isinstance(node.op, ast.Or) else 'and'}'"
            return ExprError(column, f"{width} {what} (at most {limits.max_alternatives})"
                                     + _in_suggestion(node, limits))
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return None


def _in_suggestion(node: ast.AST, limits: Limits) -> str:
    """For an ``or`` of equalities of one fact with constants: write ``fact in [...]``."""
    if not isinstance(node, ast.BoolOp) or not isinstance(node.op, ast.Or):
        return ""
    facts = set()
    for value in node.values:
        if not (isinstance(value, ast.Compare) and len(value.ops) == 1 and isinstance(value.ops[0], ast.Eq)):
            return ""
        sides = (value.left, value.comparators[0])
        names = [_dotted(side) for side in sides if isinstance(side, (ast.Name, ast.Attribute))]
        if len(names) != 1 or not any(isinstance(side, ast.Constant) for side in sides):
            return ""
        facts.add(names[0])
    if len(facts) != 1:
        return ""
    fact = facts.pop()
    hint = f"; they compare {fact} with constants: write {fact} in [...]"
    if len(node.values) > limits.max_alternatives:
        hint += (f" (at most {limits.max_alternatives} values per list: split the rule, or give the offerings a "
                 "category and test the category)")
    return hint


_EQUALITY = re.compile(r"\s*\(?\s*([A-Za-z_][\w.]*)\s*==\s*('[^']*'|\"[^\"]*\"|-?[\d.]+)\s*\)?\s*")


def _in_suggestion_text(text: str, limits: Limits) -> str:
    """:func:`_in_suggestion` for a condition too long to parse: the same test on its text, in linear time."""
    clauses = text.split(" or ")
    facts = set()
    for clause in clauses:
        match = _EQUALITY.fullmatch(clause)
        if match is None:
            return ""
        facts.add(match.group(1))
        if len(facts) > 1:
            return ""
    fact = facts.pop()
    return (f"; its {len(clauses)} clauses compare {fact} with constants: write {fact} in [...] (at most "
            f"{limits.max_alternatives} values per list: split the rule, or give the offerings a category and test "
            "the category)")


def _references(json: Any) -> set[str]:
    if isinstance(json, dict):
        if "$m" in json:
            return {json["$m"]}
        return set().union(*(_references(v) for v in json.values()))
    return set()


def _is_fact(node: ast.AST) -> bool:
    return isinstance(node, (ast.Name, ast.Attribute)) and _dotted(node) not in ("true", "false")


def _positive_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(
        node.value, bool) and node.value > 0


def _isolate(left: ast.expr, symbol: str, right: ast.expr) -> tuple[ast.expr, str, ast.expr]:
    """Move arithmetic off the left side so a fact stands alone there, as durable-rules needs:
    ``a - b >= 10`` becomes ``a >= 10 + b``; ``a * 2 < c`` becomes ``a < c / 2`` (positive constants only)."""
    while isinstance(left, ast.BinOp) and not _is_fact(left):
        op, a, b = left.op, left.left, left.right
        if isinstance(op, ast.Add) and not _contains_fact_first(a) and _contains_fact_first(b):
            a, b = b, a  # c + fact: commute
        if isinstance(op, ast.Add):
            left, right = a, _binop(right, ast.Sub(), b, left)
        elif isinstance(op, ast.Sub):
            left, right = a, _binop(right, ast.Add(), b, left)
        elif isinstance(op, ast.Mult) and _positive_constant(b):
            left, right = a, _binop(right, ast.Div(), b, left)
        elif isinstance(op, ast.Div) and _positive_constant(b):
            left, right = a, _binop(right, ast.Mult(), b, left)
        else:
            break
    return left, symbol, right


def _contains_fact_first(node: ast.AST) -> bool:
    while isinstance(node, ast.BinOp):
        node = node.left
    return _is_fact(node)


def _binop(left: ast.expr, op: ast.operator, right: ast.expr, where: ast.AST) -> ast.BinOp:
    node = ast.BinOp(left=left, op=op, right=right)
    return ast.copy_location(node, where)


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _call_name(node: ast.Call) -> str | None:
    return node.func.id if isinstance(node.func, ast.Name) else None
