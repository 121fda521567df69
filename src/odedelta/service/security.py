"""Who is calling, and what it may do: bearer tokens with scopes, or JWTs checked against a key, shared by every
router as one FastAPI dependency (:func:`caller_of`).

Scopes are ``<api>:read`` and ``<api>:write`` per API (``tmf679``, ``tmf663``, ``tmf648``, ``tmf622``), ``<api>:all``
(the resources of every caller, not only its own) and ``admin`` (everything, ``/admin/*`` included). A caller sees,
changes and deletes the carts, quotes, orders, qualifications and listeners it created, unless ``<api>:all`` or
``admin`` says otherwise; another caller's resource is answered 404, as if it did not exist.

The tokens file (YAML or JSON)::

    tokens:
      - caller: shop-frontend            # the name in the access log and the owner of what it creates
        sha256: 9f86d081884c7d65…        # the token's SHA-256 in hex (or `token: <the token>`, less safe)
        scopes: [tmf663:read, tmf663:write, tmf622:read, tmf622:write]
      - caller: ops
        sha256: 60303ae22b998861…
        scopes: [admin]
      - caller: self-care-alice
        sha256: 2c26b46b68ffc68f…
        scopes: [tmf679:write, tmf663:write]
        parties: [alice]                 # may act for these customers only (default: any)

Without any credentials (loopback only, or ``--insecure``) every request is the caller ``anonymous`` with ``admin``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from odedelta.service._core import LoadError, Problem, closest, parse_text, with_lines

APIS = ("tmf679", "tmf663", "tmf648", "tmf622")
SCOPES = frozenset({f"{api}:{access}" for api in APIS for access in ("read", "write", "all")} | {"admin"})


class AuthConfigError(Exception):
    """The tokens file or the JWT key cannot be used: every problem, each naming the file, the line and column,
    and the entry (``tokens.yaml:3:14 @ $.tokens[0].scopes[1]: unknown scope …``); several under one line that
    counts them."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> AuthConfigError:
        problems = tuple(problems)
        if len(problems) == 1:
            return cls(_line(problems[0]), problems)
        head = f"{problems[0].file}: {len(problems)} problems in the tokens file"
        return cls("\n".join([head, *(f"  {_line(p)}" for p in problems)]), problems)


def _line(problem: Problem) -> str:
    """``file:line:column @ $.path: message`` (the path first, as it names the entry the message is about)."""
    where = problem.file
    if problem.line is not None:
        where += f":{problem.line}" + (f":{problem.column}" if problem.column is not None else "")
    return f"{where} @ {problem.path}: {problem.text}" if problem.path not in ("", "$") else f"{where}: {problem.text}"


KEYS = ("caller", "sha256", "token", "scopes", "parties")


class Refused(Exception):
    """A request without valid credentials (401) or without the scope it needs (403)."""

    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message
        super().__init__(message)


@dataclass(frozen=True)
class Caller:
    name: str
    scopes: frozenset[str]
    parties: frozenset[str] | None = None
    """the customers (party ids) this caller may act for; None: any"""

    def may_act_for(self, party: str | None) -> bool:
        return self.parties is None or "admin" in self.scopes or (party is not None and party in self.parties)

    def may(self, api: str, access: str) -> bool:
        return "admin" in self.scopes or f"{api}:{access}" in self.scopes or (
            access == "read" and f"{api}:write" in self.scopes)

    def owner_filter(self, api: str) -> str | None:
        """The owner whose resources this caller may reach in ``api`` (None: every owner's)."""
        return None if "admin" in self.scopes or f"{api}:all" in self.scopes else self.name


ANONYMOUS = Caller("anonymous", frozenset({"admin"}))


class Authenticator:
    """Maps a bearer credential to a :class:`Caller`, or refuses it. ``mode`` says which kind, for people."""

    mode = "none"

    def caller(self, credential: str | None) -> Caller:
        return ANONYMOUS

    @property
    def open(self) -> bool:
        return True


class Tokens(Authenticator):
    """Bearer tokens from a tokens file, or one token (``ODEDELTA_TOKEN``/``--token``) that is an admin."""

    def __init__(self, entries: Mapping[str, Caller], mode: str) -> None:
        self._by_hash = dict(entries)
        self.mode = mode

    @property
    def open(self) -> bool:
        return False

    @classmethod
    def single(cls, token: str) -> Tokens:
        return cls({_sha256(token): Caller("admin", frozenset({"admin"}))}, "single token (admin)")

    @classmethod
    def from_file(cls, path: str | Path) -> Tokens:
        file = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AuthConfigError(f"{file}: cannot read the tokens file ({exc})".replace("\n", " ")) from None
        try:  # the library's own reader: a syntax error is file:line:column and what the parser expected
            data = parse_text(text, file, yaml_syntax=not text.lstrip().startswith(("{", "[")))
        except LoadError as exc:
            raise AuthConfigError.of(list(exc.problems) or [Problem(file, "$", str(exc))]) from None
        problems: list[Problem] = []
        found: dict[str, Caller] = {}
        entries = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(entries, list) or not entries:
            problems.append(Problem.at(file, ["tokens"], "expected a non-empty list of {caller, sha256, scopes}"))
            entries = []
        for index, entry in enumerate(entries):
            caller = _entry(file, index, entry, problems)
            if caller is None:
                continue
            digest, who = caller
            if digest in found:
                problems.append(Problem.at(file, ["tokens", index], f"the same token as caller {found[digest].name!r}"))
            else:
                found[digest] = who
        if problems:
            located = with_lines(problems, {file: text})
            raise AuthConfigError.of(sorted(located, key=lambda p: (p.line or 0, p.column or 0)))
        return cls(found, f"tokens file {path} ({len(found)} tokens)")

    def caller(self, credential: str | None) -> Caller:
        if not credential:
            raise Refused(401, "a bearer token is required (Authorization: Bearer …)")
        given = _sha256(credential)
        # one dict lookup, whatever the number of tokens: what its timing could reveal is how much of a valid
        # token's SHA-256 the digest of the sent text matches, and that leads to no token (no preimage)
        who = self._by_hash.get(given)
        if who is not None:
            return who
        raise Refused(401, "the bearer token is not valid")


class Jwt(Authenticator):
    """JWTs signed by a key in a PEM file or a JWKS file (PyJWT, the ``jwt`` extra). The caller is the ``sub``
    claim; its scopes are the ``scope`` claim (space-separated, OAuth 2) or ``scp`` (a list), unknown ones ignored."""

    ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA")
    CACHED = 1024
    """validated JWTs remembered (a signature check costs ~0.1 ms; a client sends the same JWT until it expires)"""

    def __init__(self, key_file: str | Path, *, audience: str | None = None, issuer: str | None = None,
                 fallback: Tokens | None = None) -> None:
        try:
            import jwt
        except ImportError:
            raise AuthConfigError("--jwt-key needs the jwt extra (PyJWT is missing): "
                                  "pip install 'odedelta[jwt]'") from None
        self._jwt = jwt
        self.audience, self.issuer, self.fallback = audience, issuer, fallback
        try:
            text = Path(key_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AuthConfigError(f"{key_file}: cannot read the JWT key ({exc})") from None
        self._keys: dict[str | None, Any] = {}
        try:
            if text.lstrip().startswith("{"):
                for key in jwt.PyJWKSet.from_json(text).keys:
                    self._keys[key.key_id] = key.key
            else:
                if "-----BEGIN" not in text:
                    raise ValueError("no PEM block")
                self._keys[None] = text
        except (jwt.PyJWTError, ValueError, json.JSONDecodeError) as exc:
            raise AuthConfigError(f"{key_file}: not a PEM public key or a JWKS ({exc})") from None
        if not self._keys:
            raise AuthConfigError(f"{key_file}: the JWKS has no usable key")
        self.mode = f"JWT ({key_file}, {len(self._keys)} keys)" + (" + tokens" if fallback else "")
        self._seen: OrderedDict[str, tuple[Caller, float]] = OrderedDict()
        self._seen_lock = threading.Lock()

    @property
    def open(self) -> bool:
        return False

    def caller(self, credential: str | None) -> Caller:
        if not credential:
            raise Refused(401, "a bearer token is required (Authorization: Bearer …)")
        if credential.count(".") != 2 and self.fallback is not None:
            return self.fallback.caller(credential)
        with self._seen_lock:
            seen = self._seen.get(credential)
            if seen is not None and time.time() < seen[1]:
                self._seen.move_to_end(credential)
                return seen[0]
        who, expires = self._validated(credential)
        with self._seen_lock:
            self._seen[credential] = (who, expires)
            while len(self._seen) > self.CACHED:
                self._seen.popitem(last=False)
        return who

    def _validated(self, credential: str) -> tuple[Caller, float]:
        """The caller of a JWT checked in full (signature, key, exp, nbf, aud, iss), and until when it holds."""
        jwt = self._jwt
        try:
            header = jwt.get_unverified_header(credential)
            key = self._keys.get(header.get("kid")) or (self._keys.get(None) if None in self._keys else None)
            if key is None and len(self._keys) == 1:
                key = next(iter(self._keys.values()))
            if key is None:
                raise Refused(401, f"the JWT names an unknown key id {header.get('kid')!r}")
            claims = jwt.decode(credential, key, algorithms=list(self.ALGORITHMS), audience=self.audience,
                                issuer=self.issuer, options={"require": ["exp", "sub"],
                                                             "verify_aud": self.audience is not None})
        except jwt.PyJWTError as exc:
            raise Refused(401, f"the JWT is not valid ({exc})") from None
        scopes = claims.get("scope", "")
        named: Iterable[Any] = scopes.split() if isinstance(scopes, str) else []
        if isinstance(claims.get("scp"), list):
            named = [*named, *claims["scp"]]
        return Caller(str(claims["sub"]), frozenset(s for s in named if s in SCOPES)), float(claims["exp"])


def authenticator(*, token: str | None = None, tokens_file: str | Path | None = None,
                  jwt_key: str | Path | None = None, jwt_audience: str | None = None,
                  jwt_issuer: str | None = None) -> Authenticator:
    """The authenticator of these settings: a tokens file (and the single token as one more admin), a JWT key
    (tokens beside it), the single token alone, or none (open)."""
    tokens: Tokens | None = None
    if tokens_file is not None:
        tokens = Tokens.from_file(tokens_file)
        if token:
            tokens = Tokens({**tokens._by_hash, **Tokens.single(token)._by_hash}, tokens.mode + " + single token")
    elif token:
        tokens = Tokens.single(token)
    if jwt_key is not None:
        return Jwt(jwt_key, audience=jwt_audience, issuer=jwt_issuer, fallback=tokens)
    return tokens if tokens is not None else Authenticator()


def _entry(file: str, index: int, entry: Any, problems: list[Problem]) -> tuple[str, Caller] | None:
    """The token digest and caller of ``tokens[index]``, or None with every problem it has added to ``problems``."""
    at: list[str | int] = ["tokens", index]
    if not isinstance(entry, dict):
        problems.append(Problem.at(file, at, "expected a mapping with caller, sha256 (or token) and scopes"))
        return None
    before = len(problems)
    for key in sorted(set(entry) - set(KEYS), key=str):
        near = closest(str(key), KEYS)
        problems.append(replace(Problem.at(file, [*at, str(key)], f"unknown key {key!r} (expected {', '.join(KEYS)})"),
                                suggestion=f"did you mean {near!r}?" if near else None))
    parties = entry.get("parties")
    if parties is not None and (not isinstance(parties, list) or not all(isinstance(p, str) and p for p in parties)):
        problems.append(Problem.at(file, [*at, "parties"], "expected a list of customer (party) ids"))
    name, scopes = entry.get("caller"), entry.get("scopes")
    if not isinstance(name, str) or not name:
        problems.append(Problem.at(file, [*at, "caller"], "expected the caller's name"))
    digest = entry.get("sha256")
    if digest is None and isinstance(entry.get("token"), str) and entry["token"]:
        digest = _sha256(entry["token"])
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest.lower()):
        problems.append(Problem.at(file, [*at, "sha256" if "sha256" in entry or "token" not in entry else "token"],
                                   "expected the token's SHA-256 in hex (64 digits), or token: the token itself"))
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
        problems.append(Problem.at(file, [*at, "scopes"], "expected a non-empty list of scopes"))
    else:
        for position, scope in enumerate(scopes):
            if scope not in SCOPES:
                near = closest(scope, SCOPES)
                problems.append(replace(Problem.at(
                    file, [*at, "scopes", position], f"unknown scope {scope!r} "
                    f"(expected admin, or <api>:read|write|all with api in {', '.join(APIS)})"),
                    suggestion=f"did you mean {near!r}?" if near else None))
    if len(problems) > before or not (isinstance(digest, str) and isinstance(name, str) and isinstance(scopes, list)):
        return None
    return digest.lower(), Caller(name, frozenset(scopes), None if parties is None else frozenset(parties))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


BEARER = HTTPBearer(auto_error=False, scheme_name="bearer",
                    description="Authorization: Bearer <token> — a token of the tokens file, the single token, or a "
                                "JWT; its scopes say which APIs it may read or write")
BEARER_DEPENDS = Security(BEARER)


def bearer_credential(authorization: str | None) -> str | None:
    """The credential of an ``Authorization`` header value, as :data:`BEARER` reads it: ``Bearer <credential>``
    (the scheme in any case), else None."""
    if not authorization:
        return None
    scheme, _, credential = authorization.partition(" ")
    credential = credential.strip()
    if not scheme or not credential or scheme.lower() != "bearer":
        return None
    return credential


def permitted(who: Caller, api: str, access: str) -> Caller:
    """``who`` if it may have ``access`` to ``api`` (``admin``: ``/admin``), else :class:`Refused` (403)."""
    allowed = "admin" in who.scopes if access == "admin" else who.may(api, access)
    if not allowed:
        needed = "admin" if access == "admin" else f"{api}:{access}"
        raise Refused(403, f"caller {who.name!r} lacks the scope {needed!r}")
    return who


class CallerOf:
    """The dependency of an operation of ``api`` that needs ``access`` (``read``, ``write``; ``admin`` for
    ``/admin``): the :class:`Caller`, also kept on ``request.state.caller`` for the access log. It runs on the event
    loop (``async``): a token is one hash and one lookup, a JWT is checked once and then remembered until it expires,
    so nothing here is worth a hop to the thread pool. The API routers' operations call the same checks without
    FastAPI's dependency solving (:class:`odedelta.service.api._common.TmfRoute`), knowing them by ``api`` and
    ``access``."""

    def __init__(self, api: str, access: str) -> None:
        self.api, self.access = api, access

    async def __call__(self, request: Request,
                       credentials: HTTPAuthorizationCredentials | None = BEARER_DEPENDS) -> Caller:
        auth: Authenticator = request.app.state.authenticator
        who = auth.caller(credentials.credentials if credentials is not None else None)
        request.state.caller = who.name
        return permitted(who, self.api, self.access)


def caller_of(api: str, access: str) -> CallerOf:
    """The security dependency of an operation of ``api`` that needs ``access``: :class:`CallerOf`."""
    return CallerOf(api, access)
