"""What every router shares at the HTTP edge: the TMF error, the body reader with its limits, the answers, the
limits themselves and the way blocking work leaves the event loop.

The event loop only reads bodies and writes answers; the engine, the inventory fetches and the store run in the
thread pool (:func:`blocking`) under the request's time budget, so ``/health`` and every other client keep being
answered while a large qualification runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from fastapi import Query
from starlette.background import BackgroundTasks
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from odedelta.service import documents as docs
from odedelta.service.encode import dumps

JSON_TYPES = ("application/json", "application/merge-patch+json")
T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the service (``serve --max-items``, ``--time-budget``, ``--body-timeout``)."""

    max_items: int = 1000
    """items in one qualification, cart, quote or order (more: 413)"""
    time_budget: float = 30.0
    """seconds of work for one request (more: 422, nothing stored)"""
    max_body: int = 1 << 20
    """bytes of one body (more: 413, before it is read)"""
    body_timeout: float = 10.0
    """seconds a client may take to send its body (more: 408 and the connection is closed)"""


HEADER_TIMEOUT = 10.0
"""Seconds a connection may take to send a complete request head (line and headers), from its opening or its
previous answer; then it is closed without an answer."""
MAX_HEAD = 64 * 1024
"""Bytes of one request head (line and headers); a longer one is refused (431) and the connection closed."""


class ApiError(Exception):
    """A refusal at the edge (not found, bad body, wrong type): becomes a TMF Error with ``status``."""

    def __init__(self, status: int, reason: str, message: str, headers: dict[str, str] | None = None) -> None:
        self.status, self.reason, self.message, self.headers = status, reason, message, headers
        super().__init__(message)


class Deadline:
    """The moment a request's time budget ends; :meth:`check` refuses once it has passed (the work in the thread
    calls it between items and before anything is stored)."""

    def __init__(self, budget: float) -> None:
        self.budget, self.end = budget, time.monotonic() + budget

    def check(self, done: str = "") -> None:
        if time.monotonic() > self.end:
            raise budget_exceeded(self.budget, done)


def budget_exceeded(budget: float, done: str = "") -> ApiError:
    return ApiError(422, "Time budget exceeded",
                    f"the request needs more than its time budget of {budget:g} s{done}; nothing was stored: "
                    "split it into smaller requests")


WORKERS = 40
"""Threads that run blocking work at once in one process (as many as Starlette's own pool for ``def`` routes);
more requests wait for a free thread, the event loop never does."""


class _Workers:
    """Up to ``WORKERS`` threads taking work from one queue and handing each result straight to the waiting
    coroutine's future (``call_soon_threadsafe``). What ``run_in_executor`` does, without its
    ``concurrent.futures.Future``, its condition variable and the callbacks chaining it to an asyncio future: about
    half the cost of the hop. A thread is started when none is idle, as a ``ThreadPoolExecutor`` does; threads are
    daemons (a request still running when the process ends has no one to answer).

    The idle threads are counted by tokens in a list (``append`` and ``pop`` are atomic), not by a
    ``threading.Semaphore``, whose lock the event loop and a finishing thread would take in turn on every request;
    a thread puts its token back before it wakes the loop, so from the wake-up to its wait for the next job it does
    nothing the loop's thread would wait for."""

    def __init__(self, size: int) -> None:
        self._size, self._jobs = size, queue.SimpleQueue[tuple[Any, Any, Callable[[], Any]]]()
        self._idle: list[None] = []
        self._threads, self._lock = 0, threading.Lock()

    def submit(self, loop: asyncio.AbstractEventLoop, call: Callable[[], T]) -> asyncio.Future[T]:
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, call))
        try:
            self._idle.pop()  # an idle thread takes this job
        except IndexError:
            with self._lock:
                if self._threads < self._size:
                    self._threads += 1
                    threading.Thread(target=self._run, name=f"odedelta-work-{self._threads}", daemon=True).start()
        return future

    def _run(self) -> None:
        jobs, idle = self._jobs, self._idle
        while True:
            loop, future, call = jobs.get()
            try:
                result, failure = call(), None
            except BaseException as exc:  # handed to the waiting coroutine, raised there
                result, failure = None, exc
            idle.append(None)  # idle from now on: a job submitted from here is this thread's next
            with contextlib.suppress(RuntimeError):  # a closed loop: no one waits any more
                loop.call_soon_threadsafe(_settle, future, result, failure)
            del loop, future, call, result, failure


def _settle(future: asyncio.Future[Any], result: Any, failure: BaseException | None) -> None:
    if future.done():  # cancelled: the request's budget ran out, its client was answered
        return
    if failure is None:
        future.set_result(result)
    else:
        future.set_exception(failure)


_POOL = _Workers(WORKERS)
"""The engine's work (:func:`blocking`): changes, qualifications, quotes."""
_READS = _Workers(WORKERS)
"""The plain ``def`` operations (:func:`in_thread`): lists, retrievals, deletes. A pool of their own, as FastAPI
gave them Starlette's: a read never queues behind 40 long changes, and a slow store never takes the engine's
threads (whose requests would then run out of their time budget)."""


async def blocking(limits: Limits, work: Callable[..., T], *args: Any) -> T:
    """Run ``work(deadline, *args)`` in a worker thread; past the budget (and a second of grace) the client is
    answered 422 while the thread stops at its next :meth:`Deadline.check`, storing nothing.

    The hop is :class:`_Workers` (with the caller's context variables): cheaper than ``run_in_executor``, which is
    itself about half what ``anyio.to_thread`` costs per call. The budget is one timer that fails the waiting
    future (``asyncio.timeout`` does the same through the task, at several times the cost)."""
    deadline = Deadline(limits.time_budget)
    loop = asyncio.get_running_loop()
    future = _POOL.submit(loop, functools.partial(contextvars.copy_context().run, work, deadline, *args))
    timer = loop.call_later(limits.time_budget + 1.0, _expire, future, limits.time_budget)
    try:
        return await future
    finally:
        timer.cancel()


def _expire(future: asyncio.Future[Any], budget: float) -> None:
    if not future.done():  # the thread's result, when it comes, is dropped (:func:`_settle`)
        future.set_exception(budget_exceeded(budget))


async def in_thread(call: Callable[..., T], /, **kwargs: Any) -> T:
    """``call(**kwargs)`` in a worker thread (with the caller's context variables), as FastAPI runs a plain ``def``
    operation, through the cheaper hop of :func:`blocking` (on threads of its own) and without a time budget."""
    work = functools.partial(contextvars.copy_context().run, call, **kwargs)
    return await _READS.submit(asyncio.get_running_loop(), work)


async def read_body(request: Request, limits: Limits) -> Any:
    """The JSON body: application/json, at most ``max_body`` bytes (a larger ``Content-Length`` is refused before
    anything is read), sent within ``body_timeout`` seconds, UTF-8, valid JSON (decimals as ``Decimal``)."""
    return parse_json(await read_raw(request, limits))


async def read_raw(request: Request, limits: Limits) -> bytes:
    """The body's bytes under :func:`read_body`'s rules (media type, size, time), not yet parsed. The request's
    messages are read here (a request whose body was read already has none left to give)."""
    kind = declared = None
    for key, value in request.scope["headers"]:  # the first of each, as Request.headers.get answers
        if key == b"content-type":
            kind = value if kind is None else kind
        elif key == b"content-length":
            declared = value if declared is None else declared
    media = kind.decode("latin-1").split(";")[0].strip().lower() if kind is not None else ""
    if media not in JSON_TYPES:
        raise ApiError(415, "Unsupported media type",
                       f"the body must be application/json, found {media or 'no content type'!r}")
    length = declared.decode("latin-1") if declared is not None else ""
    if length.isdigit() and int(length) > limits.max_body:
        raise ApiError(413, "Payload too large", f"the body is larger than {limits.max_body} bytes "
                                                 f"(Content-Length {length})", {"Connection": "close"})
    size = 0
    chunks = []
    receive = request.receive
    try:
        async with asyncio.timeout(limits.body_timeout):
            while True:  # what Request.stream() does, without an async generator
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ClientDisconnect()
                if message["type"] != "http.request":
                    continue
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limits.max_body:
                    raise ApiError(413, "Payload too large", f"the body is larger than {limits.max_body} bytes",
                                   {"Connection": "close"})
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        raise ApiError(408, "Request timeout", f"the body was not received within {limits.body_timeout:g} s "
                                               f"({size} bytes came)", {"Connection": "close"}) from None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


MAX_DIGITS = 100
"""Digits of one number in a body (more: 400; no amount, quantity or characteristic value needs them)."""
MAX_DEPTH = 64
"""Nesting of objects and arrays in a body (more: 400; TMF documents nest a few levels)."""


class _BadJson(Exception):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _BadJson(f"duplicate key {key!r} in an object")
        found[key] = value
    return found


def _number(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def read(text: str) -> Any:
        if sum(c.isdigit() for c in text) > MAX_DIGITS:
            raise _BadJson(f"a number of more than {MAX_DIGITS} digits ({text[:12]}…)")
        return kind(text)
    return read


def _constant(text: str) -> Any:
    raise _BadJson(f"{text} is not a JSON number")


def _depth(raw: bytes) -> int:
    """The deepest nesting of ``raw``'s objects and arrays (brackets inside strings do not count)."""
    deepest = depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


_BODY = json.JSONDecoder(parse_float=_number(Decimal), parse_int=_number(int), parse_constant=_constant,
                         object_pairs_hook=_object)
"""The body's decoder, made once (``json.loads`` with hooks makes a decoder and its scanner per call)."""


def parse_json(raw: bytes) -> Any:
    """A JSON body as TMF630 wants it refused (400): not UTF-8, invalid, nested deeper than ``MAX_DEPTH``, an object
    with a key twice, a number of more than ``MAX_DIGITS`` digits, NaN or Infinity. Decimals are ``Decimal``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "Bad request", "the body is not UTF-8 text") from None
    deepest = _depth(raw) if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH else 0  # fewer cannot nest deeper
    if deepest > MAX_DEPTH:
        raise ApiError(400, "Bad request", f"the body is nested {deepest} levels deep, more than {MAX_DEPTH}")
    try:
        if text.startswith("\ufeff"):  # as json.loads refuses it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _BODY.decode(text)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "Bad request", f"<body>:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except _BadJson as exc:
        raise ApiError(400, "Bad request", f"invalid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "Bad request", "the body is nested too deeply") from None


def count_items(body: Any, key: str, limits: Limits, where: str) -> None:
    """Refuse (413) a body whose ``key`` list holds more than ``max_items`` items, before any work."""
    items = body.get(key) if isinstance(body, dict) else None
    if isinstance(items, list) and len(items) > limits.max_items:
        raise ApiError(413, "Payload too large",
                       f"{where} @ $.{key}: {len(items)} items, more than the {limits.max_items} one request may "
                       "hold; split it into smaller requests")


def as_of(text: str | None, now: Callable[[], datetime]) -> datetime:
    """``asOf`` of an operation that reads its query by hand (the TMF routers declare theirs in the OpenAPI
    document: ``odedelta.service.api._common.AsOf``)."""
    if text is None:
        return now()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "Bad request", f"asOf {text!r} is not an ISO-8601 date-time "
                                           "(e.g. 2026-03-01T00:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def json_answer(document: Any, status: int = 200, headers: dict[str, str] | None = None,
                background: BackgroundTasks | None = None) -> Response:
    return Response(dumps(document), status_code=status, media_type="application/json", headers=headers,
                    background=background)


_DECODER = json.JSONDecoder()
_TOP_HREF = '\n  "href": "'
"""How a document's own ``href`` starts in the text :func:`dumps` writes (two-space indent: the top level's keys are
the only ones indented by exactly two spaces)."""


def href_of(text: str) -> str | None:
    """The top-level ``href`` of a stored document's JSON text, without parsing the whole document (a large cart or
    qualification is tens of kilobytes; its ``Location`` is one string). A literal line break only appears between
    values in JSON text (inside strings it is escaped), so in :func:`dumps`' layout a line starting with exactly two
    spaces and ``"href": "`` is the top level's ``href``. Any other text is parsed in full."""
    if not text.startswith('{\n  "'):
        found = json.loads(text)
        href = found.get("href") if isinstance(found, dict) else None
        return href if isinstance(href, str) else None
    start = text.find(_TOP_HREF)
    if start < 0:
        return None
    value, _ = _DECODER.raw_decode(text, start + len(_TOP_HREF) - 1)  # the string from its opening quote
    return value if isinstance(value, str) else None


def raw(text: str, status: int = 200, background: BackgroundTasks | None = None) -> Response:
    return Response(text, status_code=status, media_type="application/json", background=background)


def error(status: int, reason: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_answer(docs.error(status, reason, message), status, headers)


def select_fields(document: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """The attributes ``fields`` names (TMF630: ``id,state``, nested ``item.state``) and ``id``, nothing else (the
    TMF679 conformance kit counts the attributes)."""
    if not fields:
        return document
    wanted = [f.strip() for f in fields.split(",") if f.strip()]
    selected: dict[str, Any] = _select(document, [*wanted, "id"])
    return selected


def _select(value: Any, paths: list[str]) -> Any:
    if isinstance(value, list):
        return [_select(v, paths) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, found in value.items():
        if key in paths:
            out[key] = found
            continue
        deeper = [p[len(key) + 1:] for p in paths if p.startswith(key + ".")]
        if deeper and isinstance(found, (dict, list)):
            out[key] = _select(found, deeper)
    return out


_OPERATORS = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b,
              "lte": lambda a, b: a <= b}


def matches(document: Any, name: str, wanted: str) -> bool:
    """Whether ``document`` has the attribute ``name`` (a dotted path through objects and lists) equal to one of
    the comma-separated values of ``wanted`` (quotes around a value are ignored), or — with a ``.gt``, ``.gte``,
    ``.lt`` or ``.lte`` suffix — compares so (date-times as moments)."""
    path, operator = name, None
    head, _, last = name.rpartition(".")
    if head and last in _OPERATORS:
        path, operator = head, last
    values = _values(document, path.split("."))
    expected = [w.strip().strip('"') for w in wanted.split(",")] if operator is None else [wanted.strip('"')]
    for value in values:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if operator is None:
            if text in expected:
                return True
        elif _OPERATORS[operator](*_comparable(text, expected[0])):
            return True
    return False


def _values(value: Any, path: list[str]) -> list[Any]:
    if isinstance(value, list):
        return [found for v in value for found in _values(v, path)]
    if not path:
        return [value]
    if isinstance(value, dict) and path[0] in value:
        return _values(value[path[0]], path[1:])
    return []


def _comparable(a: str, b: str) -> tuple[Any, Any]:
    """Both as moments, else both as numbers, else the texts."""
    for read in (_moment, Decimal):
        try:
            return read(a), read(b)
        except (ValueError, ArithmeticError):
            continue
    return a, b


def _moment(text: str) -> datetime:
    found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (found if found.tzinfo else found.replace(tzinfo=UTC)).astimezone(UTC)


AS_OF = Query(None, alias="asOf", description="the moment of the change, ISO-8601 (default: now, UTC)")
