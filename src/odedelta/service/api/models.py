"""The request and response bodies of every TM Forum API the service answers, as pydantic models: the served
OpenAPI document is generated from them, and every body is validated by them before an operation runs (a body that
does not fit is a 400 naming each problem and its JSON path).

They follow the official TMF679, TMF663, TMF648 and TMF622 v4 and v5 schemas for the attributes the service reads;
every other attribute of an official document is accepted and kept (``extra="allow"``), as TMF's schemas never forbid
them. Where the service needs more than the official schema makes mandatory, the model says so (an item states its
``action``; a party its ``id``), so that a body the document calls valid is one the code accepts. What a schema cannot
know (an offering the catalog does not have, a change the rules refuse) is a 422 from the operation.

Responses are described by models too (the attributes the service writes; ``id`` is the only one always present,
since ``fields=`` selects), and every error is the TMF ``Error``.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, WithJsonSchema, model_validator


def _present(*names: str) -> dict[str, Any]:
    """JSON Schema: at least one of ``names`` is there and not null (what the models' validators check)."""
    return {"anyOf": [{"required": [n], "properties": {n: {"not": {"type": "null"}}}} for n in names]}


class Tmf(BaseModel):
    """A TMF body: attributes the model does not name are accepted and kept (TMF schemas never forbid them)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def document(self) -> dict[str, Any]:
        """The body as the client sent it (only what it sent, with its TMF names)."""
        return self.model_dump(by_alias=True, exclude_unset=True)


Id = Annotated[str, Field(min_length=1)]
_ALICE: Any = [{"id": "alice", "role": "customer"}]
_DOWNGRADE: Any = {"id": "1", "action": "modify", "product": {"id": "F-1"}, "productOffering": {"id": "po-fiber-300"}}
"""The demo's downgrade (alice's fiber 500 to 300), the bodies' example."""


class OutOfRange(ValueError):
    """A date-time that cannot be a moment in UTC (``0001-01-01T00:00:00+03:00`` is in the year 0)."""


def moment(text: str) -> datetime:
    """An RFC 3339 date-time (``2026-03-01T00:00:00Z``; no offset: UTC) as an aware datetime in UTC; ValueError
    when it is not one, :class:`OutOfRange` when it is one before year 1 or after 9999 in UTC."""
    value = text.strip().upper()
    if len(value) < 11 or value[10] not in "T ":
        raise ValueError(f"{text!r} is not an ISO-8601 date-time (e.g. 2026-03-01T00:00:00Z)")
    if value[17:19] == "60":  # an RFC 3339 leap second: the last second of the minute
        value = value[:17] + "59" + value[19:]
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO-8601 date-time (e.g. 2026-03-01T00:00:00Z)") from None
    try:
        return (found if found.tzinfo else found.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise OutOfRange(f"{text!r} is outside the years 1 to 9999 in UTC") from None


def _checked_moment(text: str) -> str:
    with suppress(OutOfRange):  # a date-time all the same (kept as written)
        moment(text)
    return text


DateTime = Annotated[str, AfterValidator(_checked_moment), WithJsonSchema({"type": "string", "format": "date-time"})]
"""A date-time attribute: kept as the client wrote it, refused (400) when it is not one."""


class Ref(Tmf):
    """A reference to a catalog, inventory or order entity (ProductOfferingRef, ProductRef, CategoryRef…)."""

    id: Id
    href: str | None = None
    name: str | None = None
    referred_type: str | None = Field(None, alias="@referredType")


class RelatedParty(Tmf):
    """v4 RelatedParty: the party by ``id`` (``@referredType``, mandatory in the official schema, is not needed:
    TMF679 R18's kit and many clients leave it out); the customer is the party whose ``role`` is ``customer``,
    else the first."""

    id: Id
    role: str | None = None
    name: str | None = None
    referred_type: str | None = Field(None, alias="@referredType")


class RelatedPartyV5(Tmf):
    """v5 RelatedPartyRefOrPartyRoleRef / RelatedPartyOrPartyRole: the party in ``partyOrPartyRole`` (the v4 form,
    ``id`` beside ``role``, is accepted too)."""

    model_config = ConfigDict(json_schema_extra=_present("partyOrPartyRole", "id"))
    role: str | None = None
    party_or_party_role: Ref | None = Field(None, alias="partyOrPartyRole")
    id: Id | None = None

    @model_validator(mode="after")
    def _names_a_party(self) -> RelatedPartyV5:
        if self.party_or_party_role is None and self.id is None:
            raise ValueError("a related party names its party: partyOrPartyRole.id (or id)")
        return self


class Characteristic(Tmf):
    """A characteristic value (``value``: any JSON value the specification allows)."""

    name: Id
    value: Annotated[Any, WithJsonSchema({})]

    @model_validator(mode="before")
    @classmethod
    def _has_value(cls, data: Any) -> Any:
        if isinstance(data, dict) and "value" not in data:
            raise ValueError("a characteristic has a value")
        return data


class ProductRelationship(Tmf):
    """A relationship of the product to another (``id``, or v4's ``product.id``): for an ``add``, its parent."""

    model_config = ConfigDict(json_schema_extra=_present("id", "product"))
    id: Id | None = None
    relationship_type: str | None = Field(None, alias="relationshipType")
    product: Ref | None = None

    @model_validator(mode="after")
    def _names_a_product(self) -> ProductRelationship:
        if self.id is None and self.product is None:
            raise ValueError("a product relationship names the other product: id (or product.id)")
        return self


class ProductValue(Tmf):
    """The product of an item (ProductRefOrValue): the installed product (``id``), the characteristic values to
    set, the parent of a product to add (``productRelationship``)."""

    id: Id | None = None
    product_offering: Ref | None = Field(None, alias="productOffering")
    product_characteristic: list[Characteristic] | None = Field(None, alias="productCharacteristic")
    product_relationship: list[ProductRelationship] | None = Field(None, alias="productRelationship")


Action = Literal["add", "modify", "delete", "noChange"]


class ChangeItem(Tmf):
    """An item of a change: ``add`` names the ``productOffering``, ``modify`` and ``delete`` the installed
    ``product.id`` (and a ``modify`` the offering to change to or the characteristics to set); ``noChange`` items
    are context. One change per request: one ``modify``/``delete`` or ``add``, with further ``add`` items for the
    optional components chosen with it (else 422)."""

    id: str | None = None
    action: Action
    product: ProductValue | None = None
    product_offering: Ref | None = Field(None, alias="productOffering")


class CartItem(ChangeItem):
    """TMF663 CartItem."""


class QuoteItem(ChangeItem):
    """TMF648 QuoteItem."""


class ProductOrderItem(ChangeItem):
    """TMF622 ProductOrderItem."""


class ShoppingCartCreate(Tmf):
    """TMF663 v4 ShoppingCart_Create: the change to price (``cartItem``) and the customer (``relatedParty``; none:
    a prospect)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"cartItem": [_DOWNGRADE], "relatedParty": _ALICE}]})

    cart_item: Annotated[list[CartItem], Field(min_length=1)] = Field(alias="cartItem")
    related_party: list[RelatedParty] | None = Field(None, alias="relatedParty")


class ShoppingCartCreateV5(Tmf):
    """TMF663 v5 ShoppingCart_FVO."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"cartItem": [_DOWNGRADE]}]})

    cart_item: Annotated[list[CartItem], Field(min_length=1)] = Field(alias="cartItem")
    related_party: list[RelatedPartyV5] | None = Field(None, alias="relatedParty")


class ShoppingCartUpdate(Tmf):
    """TMF663 v4 ShoppingCart_Update: new items (the cart is priced again), a new customer, or both (a merge-patch:
    ``relatedParty: null`` makes the cart a prospect's; ``cartItem: null`` keeps the items)."""

    cart_item: Annotated[list[CartItem], Field(min_length=1)] | None = Field(None, alias="cartItem")
    related_party: list[RelatedParty] | None = Field(None, alias="relatedParty")


class ShoppingCartUpdateV5(Tmf):
    """TMF663 v5 ShoppingCart_MVO."""

    cart_item: Annotated[list[CartItem], Field(min_length=1)] | None = Field(None, alias="cartItem")
    related_party: list[RelatedPartyV5] | None = Field(None, alias="relatedParty")


class QuoteCreate(Tmf):
    """TMF648 v4 Quote_Create."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"quoteItem": [_DOWNGRADE], "relatedParty": _ALICE}]})

    quote_item: Annotated[list[QuoteItem], Field(min_length=1)] = Field(alias="quoteItem")
    related_party: list[RelatedParty] | None = Field(None, alias="relatedParty")


class ProductOrderCreate(Tmf):
    """TMF622 v4 ProductOrder_Create."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"productOrderItem": [_DOWNGRADE],
                                                               "relatedParty": _ALICE}]})

    product_order_item: Annotated[list[ProductOrderItem], Field(min_length=1)] = Field(alias="productOrderItem")
    related_party: list[RelatedParty] | None = Field(None, alias="relatedParty")


class ProductOrderCreateV5(Tmf):
    """TMF622 v5 ProductOrder_FVO."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"productOrderItem": [_DOWNGRADE]}]})

    product_order_item: Annotated[list[ProductOrderItem], Field(min_length=1)] = Field(alias="productOrderItem")
    related_party: list[RelatedPartyV5] | None = Field(None, alias="relatedParty")


class Note(Tmf):
    text: str
    author: str | None = None


class ExternalIdentifier(Tmf):
    id: Id
    owner: str | None = None
    external_identifier_type: str | None = Field(None, alias="externalIdentifierType")


class _OrderPatch(BaseModel):
    """What a JSON merge-patch of an order may change while the order is not final (null removes it); the items,
    parties, prices and state are the engine's answer (cancel the order and order again)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    description: str | None = None
    priority: str | None = None
    category: str | None = None
    notification_contact: str | None = Field(None, alias="notificationContact")
    requested_completion_date: DateTime | None = Field(None, alias="requestedCompletionDate")
    requested_start_date: DateTime | None = Field(None, alias="requestedStartDate")
    note: list[Note] | None = None
    type: Literal["ProductOrder"] = Field("ProductOrder", alias="@type")

    def document(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_unset=True)


class ProductOrderPatch(_OrderPatch):
    """TMF622 v4 ProductOrder_Update, the patchable part (``externalId``: a string)."""

    external_id: str | None = Field(None, alias="externalId")


class ProductOrderPatchV5(_OrderPatch):
    """TMF622 v5 ProductOrder_MVO, the patchable part (``externalId``: a list of ExternalIdentifier)."""

    external_id: list[ExternalIdentifier] | None = Field(None, alias="externalId")


class CancelProductOrderCreate(Tmf):
    """TMF622 CancelProductOrder_Create (v4) / CancelProductOrder_FVO (v5): the order to cancel."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"productOrder": {"id": "1"},
                                                               "cancellationReason": "customer changed their mind"}]})

    product_order: Ref = Field(alias="productOrder")
    cancellation_reason: str | None = Field(None, alias="cancellationReason")
    requested_cancellation_date: DateTime | None = Field(None, alias="requestedCancellationDate")


class EventSubscriptionInput(Tmf):
    """TMF622 hub registration: the listener's base URL and an optional query (``eventType=…``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"callback": "https://listener.example/odedelta"}]})

    callback: Id
    query: str | None = None


_NAMES_ONE = _present("product", "productOffering", "category")


def _names_one(item: Any, what: str) -> None:
    if item.product is None and item.product_offering is None and item.category is None:
        raise ValueError(f"{what} names what to qualify: product.id (an installed product), productOffering.id "
                         "or category.id")


class QualificationItem(Tmf):
    """TMF679 v4 ProductOfferingQualificationItem: an installed ``product`` (every offering it can change to, or
    the one ``productOffering`` named), an offering alone (may it be acquired), or a ``category`` (every sellable
    offering in it)."""

    model_config = ConfigDict(json_schema_extra=_NAMES_ONE)
    id: str | None = None
    expected_activation_date: DateTime | None = Field(None, alias="expectedActivationDate")
    product: Ref | None = None
    product_offering: Ref | None = Field(None, alias="productOffering")
    category: Ref | None = None

    @model_validator(mode="after")
    def _asks(self) -> QualificationItem:
        _names_one(self, "an item")
        return self


class CheckQualificationItem(QualificationItem):
    """TMF679 v5 CheckProductOfferingQualificationItem."""


class _Qualification(Tmf):
    """What a qualification request may carry that its answer repeats as given (:data:`documents.POQ_ECHOED`)."""

    channel: Ref | None = None
    instant_sync_qualification: StrictBool | None = Field(None, alias="instantSyncQualification")


class ProductOfferingQualificationCreate(_Qualification):
    """TMF679 v4 ProductOfferingQualification_Create: items, or a ``category`` alone; the customer in
    ``relatedParty`` (none: a prospect); ``provide…`` flags (absent: reasons and alternatives given, unavailable
    offerings listed)."""

    model_config = ConfigDict(json_schema_extra={
        **_present("productOfferingQualificationItem", "category"),
        "examples": [{"productOfferingQualificationItem": [{"id": "1", "productOffering": {"id": "po-fiber-300"}}]},
                     {"category": {"id": "cat-fiber"}, "provideOnlyAvailable": True}]})
    items: Annotated[list[QualificationItem], Field(min_length=1)] | None = Field(
        None, alias="productOfferingQualificationItem")
    category: Ref | None = None
    related_party: list[RelatedParty] | None = Field(None, alias="relatedParty")
    description: str | None = None
    provide_alternative: StrictBool = Field(True, alias="provideAlternative")
    provide_unavailability_reason: StrictBool = Field(True, alias="provideUnavailabilityReason")
    provide_only_available: StrictBool = Field(False, alias="provideOnlyAvailable")
    requested_completion_date: DateTime | None = Field(None, alias="requestedPOQCompletionDate")
    expected_qualification_date: DateTime | None = Field(None, alias="expectedQualificationDate")
    """TMF679 R18's name (its conformance kit sends it and filters on it)."""

    @model_validator(mode="after")
    def _asks(self) -> ProductOfferingQualificationCreate:
        if self.items is None and self.category is None:
            raise ValueError("missing mandatory attribute: productOfferingQualificationItem (a non-empty list of "
                             "items) or category")
        return self


class CheckProductOfferingQualificationCreate(_Qualification):
    """TMF679 v5 CheckProductOfferingQualification_FVO."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"checkProductOfferingQualificationItem": [
        {"id": "1", "productOffering": {"id": "po-fiber-300"}}]}]})

    items: Annotated[list[CheckQualificationItem], Field(min_length=1)] = Field(
        alias="checkProductOfferingQualificationItem")
    related_party: list[RelatedPartyV5] | None = Field(None, alias="relatedParty")
    description: str | None = None
    provide_alternative: StrictBool = Field(True, alias="provideAlternative")
    provide_result_reason: StrictBool = Field(True, alias="provideResultReason")
    provide_only_available: StrictBool = Field(False, alias="provideOnlyAvailable")
    requested_completion_date: DateTime | None = Field(None, alias="requestedQualificationCompletionDate")


class SearchCriteria(Tmf):
    """TMF679 v5 QueryProductOfferingQualificationItem as search criteria: an offering, a category or an installed
    product."""

    model_config = ConfigDict(json_schema_extra=_NAMES_ONE)
    product: Ref | None = None
    product_offering: Ref | None = Field(None, alias="productOffering")
    category: Ref | None = None

    @model_validator(mode="after")
    def _asks(self) -> SearchCriteria:
        _names_one(self, "searchCriteria")
        return self


class QueryProductOfferingQualificationCreate(Tmf):
    """TMF679 v5 QueryProductOfferingQualification_FVO."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"searchCriteria": {"category": {"id": "cat-fiber"}}}]})

    search_criteria: SearchCriteria = Field(alias="searchCriteria")
    related_party: list[RelatedPartyV5] | None = Field(None, alias="relatedParty")


# ---------------------------------------------------------------------------------------------- responses
class Error(BaseModel):
    """TMF630 Error: the status as ``code`` and ``status``, a reason, and the located one-sentence message."""

    code: str
    reason: str
    message: str | None = None
    status: str | None = None
    type: str | None = Field(None, alias="@type")


class Answer(BaseModel):
    """A resource the service answers with (``fields=`` selects attributes: ``id`` is always there)."""

    model_config = ConfigDict(extra="allow")
    id: str
    href: str | None = None
    type: str | None = Field(None, alias="@type")


TaskState = Literal["acknowledged", "rejected", "inProgress", "cancelled", "done", "terminatedWithError"]
Result = Literal["qualified", "unqualified", "alternate"]


class QualificationItemAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str | None = None
    action: Action | None = None
    qualification_item_result: Result | None = Field(None, alias="qualificationItemResult")
    state: TaskState | None = None


class ProductOfferingQualificationAnswer(Answer):
    """TMF679 v4 ProductOfferingQualification (and ``productOfferingQualificationDateTime``, R18's name of
    ``productOfferingQualificationDate``)."""

    state: TaskState | None = None
    qualification_result: Result | None = Field(None, alias="qualificationResult")
    product_offering_qualification_date: str | None = Field(None, alias="productOfferingQualificationDate")
    items: list[QualificationItemAnswer] | None = Field(None, alias="productOfferingQualificationItem")
    related_party: list[dict[str, Any]] | None = Field(None, alias="relatedParty")


class CheckProductOfferingQualificationAnswer(Answer):
    """TMF679 v5 CheckProductOfferingQualification."""

    state: TaskState | None = None
    qualification_result: Result | None = Field(None, alias="qualificationResult")
    creation_date: str | None = Field(None, alias="creationDate")
    items: list[QualificationItemAnswer] | None = Field(None, alias="checkProductOfferingQualificationItem")
    related_party: list[dict[str, Any]] | None = Field(None, alias="relatedParty")


class QueryProductOfferingQualificationAnswer(Answer):
    """TMF679 v5 QueryProductOfferingQualification: the qualifying offerings as ``qualifiedProductOfferingItem``."""

    state: TaskState | None = None
    search_criteria: dict[str, Any] | None = Field(None, alias="searchCriteria")
    qualified: list[dict[str, Any]] | None = Field(None, alias="qualifiedProductOfferingItem")


class ShoppingCartAnswer(Answer):
    """TMF663 ShoppingCart: the engine's items and prices."""

    cart_item: list[dict[str, Any]] | None = Field(None, alias="cartItem")
    cart_total_price: list[dict[str, Any]] | None = Field(None, alias="cartTotalPrice")
    related_party: list[dict[str, Any]] | None = Field(None, alias="relatedParty")


class QuoteAnswer(Answer):
    """TMF648 Quote: ``approved`` with the engine's items, or ``rejected`` with the reason as a note."""

    state: Literal["approved", "rejected"] | None = None
    quote_item: list[dict[str, Any]] | None = Field(None, alias="quoteItem")
    quote_total_price: list[dict[str, Any]] | None = Field(None, alias="quoteTotalPrice")


OrderState = Literal["acknowledged", "rejected", "pending", "held", "inProgress", "cancelled", "completed", "failed",
                     "partial", "assessingCancellation", "pendingCancellation", "draft"]


class ProductOrderAnswer(Answer):
    """TMF622 ProductOrder: ``acknowledged`` with the engine's items, ``rejected`` with the reason as a note,
    ``cancelled`` once cancelled."""

    state: OrderState | None = None
    product_order_item: list[dict[str, Any]] | None = Field(None, alias="productOrderItem")
    order_total_price: list[dict[str, Any]] | None = Field(None, alias="orderTotalPrice")
    related_party: list[dict[str, Any]] | None = Field(None, alias="relatedParty")


class CancelProductOrderAnswer(Answer):
    """TMF622 CancelProductOrder: ``done`` (the order is cancelled at once)."""

    state: Literal["acknowledged", "rejected", "inProgress", "done", "terminatedWithError"] | None = None
    product_order: dict[str, Any] | None = Field(None, alias="productOrder")
    cancellation_reason: str | None = Field(None, alias="cancellationReason")


class EventSubscription(Answer):
    """TMF622 hub registration."""

    callback: str | None = None
    query: str | None = None


class PartnerOrder(BaseModel):
    """A TMF622 ProductOrder to one supplier (an odedelta extension)."""

    model_config = ConfigDict(extra="allow")
