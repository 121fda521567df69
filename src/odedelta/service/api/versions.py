"""The TM Forum API versions the service answers and how v4 and v5 differ, as one table: the routers take their
base paths, resources, item lists and body models from it, the tests check the served OpenAPI against it, and the
reference page ``docs/reference/tmf-versions.md`` is :func:`markdown` of it."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from odedelta.service.api import models


@dataclass(frozen=True)
class ApiVersion:
    """One API in one version, as the service serves it."""

    api: str
    version: int
    base: str
    """The base path (``/tmf-api/…/v4``)."""
    resources: tuple[str, ...]
    """The resources served under ``base`` (each with create, list, retrieve and what else the API has)."""
    items: str
    """The list a request states its change or its questions in."""
    create: type[BaseModel]
    """The model of the create body (the served schema of the request)."""
    party: str
    """The form of a ``relatedParty`` entry."""
    created: str
    """The attribute that says when the resource was made."""


V4_PARTY = "{id, role, name, @referredType}"
V5_PARTY = "{role, partyOrPartyRole: {id, …}, @type} (the v4 form is read too)"

TABLE: dict[tuple[str, int], ApiVersion] = {(v.api, v.version): v for v in (
    ApiVersion("TMF679", 4, "/tmf-api/productOfferingQualification/v4", ("productOfferingQualification",),
               "productOfferingQualificationItem", models.ProductOfferingQualificationCreate, V4_PARTY,
               "productOfferingQualificationDate (and R18's productOfferingQualificationDateTime)"),
    ApiVersion("TMF679", 5, "/tmf-api/productOfferingQualification/v5",
               ("checkProductOfferingQualification", "queryProductOfferingQualification"),
               "checkProductOfferingQualificationItem", models.CheckProductOfferingQualificationCreate, V5_PARTY,
               "creationDate"),
    ApiVersion("TMF663", 4, "/tmf-api/shoppingCart/v4", ("shoppingCart",), "cartItem", models.ShoppingCartCreate,
               V4_PARTY, "validFor.startDateTime (the moment priced)"),
    ApiVersion("TMF663", 5, "/tmf-api/shoppingCart/v5", ("shoppingCart",), "cartItem", models.ShoppingCartCreateV5,
               V5_PARTY, "creationDate, lastUpdate"),
    ApiVersion("TMF648", 4, "/tmf-api/quoteManagement/v4", ("quote",), "quoteItem", models.QuoteCreate, V4_PARTY,
               "quoteDate"),
    ApiVersion("TMF622", 4, "/tmf-api/productOrderingManagement/v4",
               ("productOrder", "cancelProductOrder", "hub"), "productOrderItem", models.ProductOrderCreate,
               V4_PARTY, "orderDate"),
    ApiVersion("TMF622", 5, "/tmf-api/productOrderingManagement/v5",
               ("productOrder", "cancelProductOrder", "hub"), "productOrderItem", models.ProductOrderCreateV5,
               V5_PARTY, "creationDate"),
)}


@dataclass(frozen=True)
class Difference:
    """A difference between an API's v4 and v5 that is not in :data:`TABLE`'s columns."""

    api: str
    what: str
    v4: str
    v5: str


DIFFERENCES: tuple[Difference, ...] = (
    Difference("TMF679", "what is asked for a category", "the request's `category` (or an item's)",
               "an item's `category`"),
    Difference("TMF679", "the flag asking for reasons", "`provideUnavailabilityReason`", "`provideResultReason`"),
    Difference("TMF679", "the reasons of an item", "`eligibilityUnavailabilityReason` [{code, label}]",
               "`eligibilityResultReason` [{code, label, @type}]"),
    Difference("TMF679", "which offerings qualify (a search)", "—",
               "`queryProductOfferingQualification`: `searchCriteria` → `qualifiedProductOfferingItem`"),
    Difference("TMF622", "`externalId` (PATCH)", "a string", "a list of ExternalIdentifier {id, owner, …}"),
    Difference("TMF622", "a note", "{id, text, author}", "{id, text, author, @type: Note}"),
    Difference("all", "`@type` of sub-objects (references, prices, items)", "on the resource only",
               "on every object (ProductOfferingRef, ProductRef, Price, …)"),
    Difference("all", "a price's amounts", "`dutyFreeAmount`/`taxIncludedAmount` {unit, value}",
               "the same, each object with its `@type`"),
)


def markdown() -> str:
    """The reference page's tables (what ``docs/reference/tmf-versions.md`` holds between its markers)."""
    lines = ["| API | version | base path | resources | items | relatedParty | made at |",
             "|---|---|---|---|---|---|---|"]
    for v in TABLE.values():
        resources = ", ".join(f"`{r}`" for r in v.resources)
        lines.append(f"| {v.api} | v{v.version} | `{v.base}` | {resources} | `{v.items}` | {v.party} | "
                     f"{v.created} |")
    lines += ["", "| API | what | v4 | v5 |", "|---|---|---|---|"]
    lines += [f"| {d.api} | {d.what} | {d.v4} | {d.v5} |" for d in DIFFERENCES]
    return "\n".join(lines) + "\n"
