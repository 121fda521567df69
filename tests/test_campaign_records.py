"""A customer's JSON line read the quick way gives what parse_text gives: the same value (integers as int, every
number with a fraction as Decimal) or the same located error — duplicate keys, numbers past the limits, deep
nesting, byte order marks and NUL characters included."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from odedelta import LoadError
from odedelta.campaigns import records
from odedelta.campaigns.records import parse_json
from odedelta.model.source import parse_text


def _outcome(parse: Any, text: str) -> tuple[str, Any]:
    try:
        value = parse(text, "base.jsonl:7")
    except LoadError as exc:
        return "error", (type(exc), str(exc), exc.problems)
    return "value", (value, json.dumps(value, default=repr))  # the types too: 1 and 1.0 differ in the dump


def _same(text: str) -> str:
    expected = _outcome(lambda t, o: parse_text(t, o, yaml_syntax=False), text)
    assert _outcome(parse_json, text) == expected
    return expected[0]


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 16, 10 ** 16), st.text(max_size=8),
                    st.sampled_from([":", '":', "a\\\"b", "\ud800"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=4), inner, max_size=4)),
                      max_leaves=20)


@given(value=values, spacing=st.sampled_from([None, (",", ":"), (", ", " : ")]))
def test_json_values_read_alike(value: Any, spacing: tuple[str, str] | None) -> None:
    _same(json.dumps(value, separators=spacing) + "\n")


@given(value=st.dictionaries(st.sampled_from("abc"), scalars, min_size=1, max_size=3), key=st.sampled_from("abc"),
       repeat=st.sampled_from(['"{k}":1', '"{k}" :2', '"{k}"\n:"x"']))
def test_a_repeated_key_is_refused_alike(value: dict[str, Any], key: str, repeat: str) -> None:
    text = json.dumps(value)[:-1] + ", " + repeat.format(k=key) + "}"
    outcome = _same(text)
    assert outcome == "error" or key not in value


@pytest.mark.parametrize("text", [
    '{"value": 1.5}', '[1e3]', '[12345678901234567]', '[-0]', '[NaN]', '[Infinity]', '{"a": 1,}', '\ufeff[1]',
    '[1, "\x00"]', "[" * 201 + "]" * 201, "[" * 200 + "]" * 200, '{"a": {"a": 1}, "b": [{"a": 2}]}',
    '"text"', "5", "", "[1] [2]", '{"k": "\\ud83d\\ude00"}', '{"k": "\\ud800"}', '{"a": 1, "a": 1}',
    '{"a:": 1}', '{"a": ":"}', '{"a\\"": 1, "a\\"": 2}', '{"a": "x\\":", "a": 1}', '{"a": "\\u0022:", "a": 1}',
    '{"b": {"a": 1, "a": 2}, "c": "é"}', '{"b": {"a": 1, "a ": 2}, "c": "é"}', '{"a": [1, 2.0]}', '{"a": "1.5"}',
    '{"a": [-100000000000000]}', '{"a": [-99999999999999, 99999999999999]}', '{"a": "x", "a" \t: "y"}'])
def test_edges_read_alike(text: str) -> None:
    _same(text)


# a line read from a file is decoded UTF-8: it holds no lone surrogate as a character (only escaped)
decoded = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 16, 10 ** 16), st.text(st.characters(
    exclude_categories=("Cs",)), max_size=8), st.sampled_from([":", '":', "a\\\"b", "é"]))
unescaped = st.recursive(decoded, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(
    st.text(max_size=4).filter(lambda k: not any(0xD800 <= ord(c) < 0xE000 for c in k)), inner, max_size=4)),
    max_leaves=20)


@given(value=unescaped, spacing=st.sampled_from([None, (",", ":"), (", ", " : ")]))
def test_json_values_written_without_escapes_read_alike(value: Any, spacing: tuple[str, str] | None) -> None:
    _same(json.dumps(value, separators=spacing, ensure_ascii=False) + "\n")  # the quick way, mostly


@given(value=st.dictionaries(st.sampled_from("aé"), decoded, min_size=1, max_size=3), key=st.sampled_from("aé"),
       inner=st.booleans(), repeat=st.sampled_from(['"{k}":1', '"{k}" :2', '"{k}"\n:"x\\":"']))
def test_a_repeated_key_written_without_escapes_is_refused_alike(value: dict[str, Any], key: str, inner: bool,
                                                                 repeat: str) -> None:
    text = json.dumps(value, ensure_ascii=False)[:-1] + ", " + repeat.format(k=key) + "}"
    _same(json.dumps({"products": [1], "x": json.loads("[0]")}, ensure_ascii=False)[:-1] + ', "inner": ' + text
          + "}" if inner else text)


def test_without_orjson_every_line_takes_the_guarded_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "orjson", None)
    assert _same('{"customer": "C-1", "products": [{"id": "P-1", "value": 2.50}]}') == "value"
    assert _same('{"a": 1, "a": 2}') == "error"


def test_a_generated_customer_takes_the_quick_way(monkeypatch: pytest.MonkeyPatch) -> None:
    line = ('{"customer":"C-1","products":[{"@type":"Product","id":"C-1-P1","productCharacteristic":[{"name":'
            '"dataGB","value":20}],"productOffering":{"id":"po-x"},"startDate":"2024-06-01T00:00:00Z"}],'
            '"segment":"residential"}\n')
    expected = parse_text(line, "base.jsonl:1", yaml_syntax=False)
    monkeypatch.setattr(records, "parse_text", lambda *a, **k: pytest.fail("took the guarded parser"))
    assert parse_json(line, "base.jsonl:1") == expected


@pytest.mark.parametrize("space", [" ", "\t", "\r", "\n", "\n ", " \r\n"])
@pytest.mark.parametrize("end", ["", "\n"])
def test_a_repeated_key_spaced_from_its_colon_in_a_compact_line_is_refused_alike(space: str, end: str) -> None:
    """A compact line (no whitespace but the line's own end) is counted without the regular expression: a key
    written with whitespace before its colon is the only whitespace there, and is still found."""
    text = '{"customer":"C1","products":[{"id":"p","id"' + space + ':"q"}]}' + end
    assert _same(text) == "error"
    assert _same('{"customer":"C1","products":[{"id":"p"' + space + ',"n":1}]}' + end) == "value"
    assert _same('{"customer":"C1","products":[{"id":"p","n":1}]}' + end) == "value"
