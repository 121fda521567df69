"""One FastAPI ``APIRouter`` per TM Forum API and version, plus the service's own routes (health, admin).

Each module builds its API's router for a version (``router(4)``, ``router(5)``); every operation declares the
scope it needs through the one security dependency (:func:`odedelta.service.security.caller_of`), reads bodies and
answers through :mod:`odedelta.service.edge`, and does its blocking work in the thread pool.
"""

from __future__ import annotations

from fastapi import APIRouter

from odedelta.service.api import admin, tmf622_v4, tmf622_v5, tmf648, tmf663_v4, tmf663_v5, tmf679_v4, tmf679_v5


def routers() -> list[APIRouter]:
    """Every router of the app, in the order of the OpenAPI document."""
    return [admin.router(), tmf679_v4.router(), tmf679_v5.router(), tmf663_v4.router(), tmf663_v5.router(),
            tmf648.router(4), tmf622_v4.router(), tmf622_v5.router()]
