"""The HTTP/1.1 protocol ``serve`` runs: uvicorn's httptools protocol (llhttp, Node's parser, in C) with the
service's guards on request heads, and answers written in one piece.

Its own module because httptools is a compiled extra: :func:`odedelta.service.server.http_protocol` falls back to
the h11 protocol where it is missing.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from odedelta.service.edge import HEADER_TIMEOUT, MAX_HEAD


class _HeadTooLong(Exception):
    """Raised in a parser callback to stop parsing a head longer than ``MAX_HEAD``."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (llhttp, in C: the parser ``serve`` uses) with the service's guards on request
    heads: a connection that has not sent a complete head within ``HEADER_TIMEOUT`` seconds of opening (or of its
    previous answer, or of the end of a body still arriving after its answer; such a body has as long) is closed,
    and a head longer than ``MAX_HEAD`` bytes is answered 431 and closed. uvicorn times out idle keep-alive
    connections and the service times out slow bodies (``--body-timeout``), but nothing else
    ends a client that trickles its headers, and httptools itself keeps a header of any length.

    A head's length is counted twice: the bytes of its line and headers as the parser delivers them (a long head
    that arrives whole), and the bytes received while a head is incomplete (one that never ends: the parser would
    buffer it all)."""

    HEADER_TIMEOUT = HEADER_TIMEOUT
    MAX_HEAD = MAX_HEAD

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._head_open, self._head_bytes, self._head_size = True, 0, 0
        self._deadline: float | None = self.loop.time() + self.HEADER_TIMEOUT
        self._timer: asyncio.TimerHandle | None = self.loop.call_later(self.HEADER_TIMEOUT, self._check)

    def _check(self) -> None:
        # one timer per connection, moved lazily: a request only sets the deadline (None while it is answered), the
        # timer compares when it fires and waits again for what is left (not a timer cancelled and made per request)
        self._timer = None
        if self._deadline is None:
            return
        left = self._deadline - self.loop.time()
        if left > 0:
            self._timer = self.loop.call_later(left, self._check)
        else:
            self._expire()

    def _expire(self) -> None:
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is being answered (a pipelined one too): the clock starts again once it is
        # a head pending, or the rest of a body that is thrown away (its request was answered before it all came)
        pending = self._head_open or (self.cycle is not None and self.cycle.response_complete)
        if pending and self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        # uvicorn's own, with a refused head answered 431 instead of 400
        self._unset_keepalive_if_required()
        if self._head_open:
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _HeadTooLong):
                self._refuse_head()
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._head_open and self._head_bytes > self.MAX_HEAD and not self.transport.is_closing():
            self._refuse_head()

    def _refuse_head(self) -> None:
        if self.cycle is None or self.cycle.response_complete:
            message = f"the request head is longer than {self.MAX_HEAD} bytes".encode()
            self.transport.write(b"".join((
                STATUS_LINE[431], b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: %d\r\nconnection: close\r\n\r\n" % len(message), message)))
        self.transport.close()  # an answer is being written to an earlier request: close without one

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_size = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._head_size += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._head_size += len(name) + len(value) + 4

    def on_headers_complete(self) -> None:
        if self._head_size > self.MAX_HEAD:
            raise _HeadTooLong
        self._head_open, self._head_bytes = False, 0
        self._deadline = None
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.scope is self.scope:
            # the cycle only writes to its transport and asks whether it is closing: _OneWrite answers both
            self.cycle.transport = cast(asyncio.Transport, _OneWrite(self.transport, self.cycle, self.loop))

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_open = True  # the next request's head: bytes counted from the next read
        if self.cycle is not None and self.cycle.response_complete:
            # answered before its body had all arrived: the answer armed no clock for the next head, so arm it now
            self._restart_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # a head pending or not, the clock runs: the rest of a body still arriving has as long as a head (its end
        # starts the clock again for the next head)
        self._restart_deadline()

    def _restart_deadline(self) -> None:
        if not self.transport.is_closing():
            self._deadline = self.loop.time() + self.HEADER_TIMEOUT
            if self._timer is None:
                self._timer = self.loop.call_later(self.HEADER_TIMEOUT, self._check)

    def connection_lost(self, exc: Exception | None) -> None:
        self._deadline = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)


class _OneWrite:
    """The transport as one answer's cycle sees it: the response head is held until the first body write (in the
    same turn of the event loop, or at its end at the latest) and sent with it, so a small answer is one ``send``,
    one TCP segment and one wake-up of the client instead of two. Anything written before the head (``100
    Continue``) or after the first body write goes straight through."""

    __slots__ = ("_cycle", "_head", "_loop", "_state", "_transport")

    def __init__(self, transport: Any, cycle: Any, loop: Any) -> None:
        self._transport, self._cycle, self._loop = transport, cycle, loop
        self._head: bytes | None = None
        self._state = 0  # 0: before the head, 1: head held, 2: head sent

    def write(self, data: bytes) -> None:
        if self._state == 0 and self._cycle.response_started:
            self._head, self._state = data, 1
            self._loop.call_soon(self._flush)  # a body that does not follow in this turn: the head goes alone
            return
        if self._state == 1:
            data, self._head, self._state = (self._head or b"") + data, None, 2
        self._transport.write(data)

    def _flush(self) -> None:
        if self._state == 1:
            head, self._head, self._state = self._head or b"", None, 2
            self._transport.write(head)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return bool(self._transport.is_closing())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
