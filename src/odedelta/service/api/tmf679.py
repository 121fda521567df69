"""TMF679 Product Offering Qualification, what v4 (:mod:`.tmf679_v4`: ``productOfferingQualification``) and v5
(:mod:`.tmf679_v5`: ``checkProductOfferingQualification`` and ``queryProductOfferingQualification``) share: the
answers item by item, the stored resource's list, retrieve and delete.

An item names what it asks about:
- an installed product (``product.id``): every offering it can change to, or the one ``productOffering`` named;
- an offering alone (``productOffering.id``): may the customer (``relatedParty``; none: a prospect) acquire it;
- a category (v4: the request's ``category``; v5: the item's ``category``): every offering in it sold on its own.
An offering the catalog does not know is an ``unqualified`` item with its reason, not a refusal of the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from odedelta.service import documents as docs
from odedelta.service._core import Candidate, Context, Engine, Inventory, Reason
from odedelta.service.api import models
from odedelta.service.api._common import (
    FIELDS,
    LIMIT,
    OFFSET,
    answers,
    deleted,
    fetched,
    listed,
    no_content,
    owner_of,
    service_of,
)
from odedelta.service.edge import Deadline
from odedelta.service.prospect import acquisition, category_offerings
from odedelta.service.security import Caller, caller_of
from odedelta.service.state import Service

BASE = "/tmf-api/productOfferingQualification"
API = "tmf679"
READ, WRITE = Depends(caller_of(API, "read")), Depends(caller_of(API, "write"))


class _Asker:
    """The answers to one qualification request, item by item."""

    def __init__(self, service: Service, caller: Caller, party: str | None, moment: datetime) -> None:
        self.service, self.caller, self.party, self.moment = service, caller, party, moment
        self.engine: Engine = service.engine
        self._held: Inventory | None = None

    def held(self) -> Inventory:
        """The customer's inventory (empty for a prospect: no party named)."""
        if self._held is None:
            if self.party is not None:
                self.service.check_party(self.caller, self.party, None)
            self._held = (self.service.inventory_source.inventory(self.engine.catalog, self.party, None)
                          if self.party is not None else Inventory())
        return self._held

    def installed(self, product_id: str, offering: str | None) -> list[Candidate]:
        service = self.service
        service.check_party(self.caller, self.party, product_id)
        inventory = service.inventory_source.inventory(self.engine.catalog, self.party, product_id)
        qual = self.engine.qualify(inventory, product_id, as_of=self.moment)
        if offering is None:
            return list(qual.candidates)
        found = [c for c in qual.candidates if c.offering_id == offering]
        if found:
            return found
        why = (f"the catalog has no offering {offering!r}" if offering not in self.engine.catalog.offerings else
               f"{offering} is not among the offerings {product_id} ({qual.offering_id}) can change to")
        code = "unknownOffering" if offering not in self.engine.catalog.offerings else "notACandidate"
        return [Candidate(offering, qualified=False, reasons=[Reason(code, why, f"catalog:{qual.offering_id}")])]

    def acquire(self, offering: str) -> Candidate:
        return acquisition(self.engine, self.held(), offering, self.moment, Context())

    def category(self, category: str) -> list[Candidate] | None:
        """The candidates of every sellable offering of ``category``; None when the catalog has no such category."""
        if category not in self.engine.catalog.categories:
            return None
        return [self.acquire(o) for o in category_offerings(self.engine.catalog, category, self.moment)]


def _unknown_category(asker: _Asker, category: str) -> Candidate:
    known = ", ".join(sorted(asker.engine.catalog.categories)) or "no categories"
    return Candidate("", qualified=False, reasons=[Reason(
        "unknownCategory", f"the catalog has no category {category!r} (it has {known})", "catalog")])


def _answers(deadline: Deadline, asker: _Asker, items: Sequence[models.QualificationItem | models.SearchCriteria],
             category: str | None) -> list[docs.Answer]:
    answers: list[docs.Answer] = []
    numbered = len(items) > 1
    for index, item in enumerate(items):
        deadline.check(f" ({index} of {len(items)} items qualified)")
        ident = getattr(item, "id", None)
        activation = getattr(item, "expected_activation_date", None)
        product = item.product.id if item.product is not None else None
        offering = item.product_offering.id if item.product_offering is not None else None
        asked_category = item.category.id if item.category is not None else category
        found: list[tuple[Candidate, str | None]]
        if product is not None:
            found = [(c, None) for c in asker.installed(product, offering)]
        elif offering is not None:
            found = [(asker.acquire(offering), None)]
        else:
            assert asked_category is not None  # the models require one of the three
            in_category = asker.category(asked_category)
            if in_category is None:  # not a refusal of the request: this item could not be qualified
                answers.append(docs.Answer(ident or str(index + 1), None, _unknown_category(asker, asked_category),
                                           asked_category, terminated=True, activation=activation))
                continue
            found = [(c, asked_category) for c in in_category]
        base = ident or str(index + 1)
        for number, (candidate, by_category) in enumerate(found, start=1):
            if len(found) == 1 and (ident or numbered):
                label = base
            elif ident or numbered:
                label = f"{base}-{number}"
            else:
                label = str(number)
            answers.append(docs.Answer(label, product, candidate, by_category, activation=activation))
    return answers


def resources(api: APIRouter, version: int, path: str, name: str, kind: str, model: Any) -> None:
    """List, retrieve and delete of one stored resource."""

    @api.get(path, summary=f"list{name}", operation_id=f"TMF679v{version}_list{name}",
             responses=answers(200, list[model], f"the {name}s (TMF630 paging, fields, filters)", 400))
    def list_all(request: Request, fields: str | None = FIELDS, offset: int = OFFSET, limit: int = LIMIT,
                 caller: Caller = READ) -> Response:
        return listed(service_of(request), kind, version, fields, offset, limit, owner_of(caller, API),
                      request.query_params)

    @api.get(path + "/{id}", summary=f"retrieve{name}", operation_id=f"TMF679v{version}_retrieve{name}",
             responses=answers(200, model, f"the {name}", 400, 404))
    def retrieve(request: Request, id: str, fields: str | None = FIELDS, caller: Caller = READ) -> Response:
        return fetched(service_of(request), kind, version, id, fields, owner_of(caller, API), "qualification")

    @api.delete(path + "/{id}", summary=f"delete{name}", operation_id=f"TMF679v{version}_delete{name}",
                status_code=204, responses=no_content(404))
    def delete(request: Request, id: str, caller: Caller = WRITE) -> Response:
        return deleted(service_of(request), kind, version, id, owner_of(caller, API), "qualification")


def qualify(deadline: Deadline, service: Service, body: Any, version: int, moment: datetime, caller: Caller,
            href: str) -> str:
    """Answer and store a v4 ProductOfferingQualification or a v5 CheckProductOfferingQualification."""
    v5 = isinstance(body, models.CheckProductOfferingQualificationCreate)
    sent = body.document()
    category = None if v5 else (body.category.id if body.category is not None else None)
    items = body.items if body.items is not None else [models.QualificationItem(category=body.category)]
    asked = docs.Asked(alternative=body.provide_alternative,
                       reason=body.provide_result_reason if v5 else body.provide_unavailability_reason,
                       only_available=body.provide_only_available, party=docs.party_of(sent),
                       description=body.description,
                       echo={k: sent[k] for k in docs.POQ_ECHOED[version] if sent.get(k) is not None})
    answered = _answers(deadline, _Asker(service, caller, asked.party, moment), items, category)
    deadline.check()
    return stored_new(service, "poq", version, href, caller, lambda ident, href, now: docs.qualification(
        answered, asked, version, ident, href, now, moment))


def query(deadline: Deadline, service: Service, body: models.QueryProductOfferingQualificationCreate,
          moment: datetime, caller: Caller, href: str) -> str:
    """Answer and store a v5 QueryProductOfferingQualification."""
    sent = body.document()
    party = docs.party_of(sent)
    answered = _answers(deadline, _Asker(service, caller, party, moment), [body.search_criteria], None)
    deadline.check()
    return stored_new(service, "poqQuery", 5, href, caller, lambda ident, href, now: docs.query_qualification(
        answered, sent["searchCriteria"], party, ident, href, now, moment))


def stored_new(service: Service, kind: str, version: int, href: str, caller: Caller, build: Any) -> str:
    service.purge()
    now = service.now()
    _, text = service.store.add(kind, version, lambda ident: build(ident, f"{href}/{ident}", now), {}, caller.name,
                                now)
    return text
