"""TMF documents in and out: the intent a cart, quote or order states, and the documents the engine's answer
becomes (TMF663 ShoppingCart, TMF648 Quote, TMF622 ProductOrder, TMF679 qualification, TMF Error).

Pure functions of their inputs: no I/O, no clock (moments are passed in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from odedelta.service._core import (
    Acquire,
    AddOffering,
    Candidate,
    ChangeOffer,
    ChangeResult,
    Inventory,
    ModifyCharacteristics,
    RelatedParty,
    RemoveProduct,
    Request,
    RequestError,
    TerminateProduct,
    customer_order,
    iso,
    parties,
    related_parties,
    summary,
    to_tmf622,
)

INTENT_ACTIONS = ("add", "modify", "delete")


class Incomplete(RequestError):
    """A body without an attribute the API makes mandatory (TMF630: 400, not 422)."""


@dataclass(frozen=True)
class Intent:
    """What a cart, quote or order asks for: one change (and optional components chosen with it) for a customer."""

    action: str
    product: str | None
    offering: str | None
    parent: str | None = None
    characteristics: dict[str, Any] = field(default_factory=dict)
    options: tuple[str, ...] = ()
    party: str | None = None

    def request(self, inventory: Inventory) -> Request:
        product, offering = self.product or "", self.offering or ""  # intent_of guarantees the ones each needs
        if self.action == "modify":
            if self.offering is not None:
                chars = {product: self.characteristics} if self.characteristics else {}
                return ChangeOffer(product=product, to=offering, set=chars, options=list(self.options))
            return ModifyCharacteristics(product=product, characteristics=self.characteristics)
        if self.action == "delete":
            if product in inventory.products and inventory.parent(product) is None:
                return TerminateProduct(product=product)
            return RemoveProduct(product=product)
        chars = {offering: self.characteristics} if self.characteristics else {}
        if self.parent is not None:
            return AddOffering(offering=offering, parent=self.parent, set=chars)
        return Acquire(offering=offering, set=chars, options=list(self.options))

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "product": self.product, "offering": self.offering, "parent": self.parent,
                "characteristics": self.characteristics, "options": list(self.options), "party": self.party}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Intent:
        return cls(data["action"], data["product"], data["offering"], data["parent"], data["characteristics"],
                   tuple(data["options"]), data["party"])


def _id_of(ref: Any) -> str | None:
    if isinstance(ref, dict):
        value = ref.get("id")
        if value is None and isinstance(ref.get("product"), dict):  # v4 ProductRelationship {product: {id}}
            value = ref["product"].get("id")
        if value is None and isinstance(ref.get("partyOrPartyRole"), dict):  # v5 RelatedPartyRefOrPartyRoleRef
            value = ref["partyOrPartyRole"].get("id")
        if isinstance(value, str) and value:
            return value
    return None


def party_of(document: dict[str, Any]) -> str | None:
    """The customer a document names in ``relatedParty`` (role customer first, else the first party)."""
    parties = document.get("relatedParty")
    if not isinstance(parties, list):
        return None
    ranked = sorted((p for p in parties if isinstance(p, dict)),
                    key=lambda p: str(p.get("role", "")).lower() != "customer")
    for party in ranked:
        found = _id_of(party)
        if found:
            return found
    return None


def intent_of(document: Any, items_key: str, where: str) -> Intent:
    """The one change ``document[items_key]`` states. Items whose action is ``noChange`` are context; a ``modify``
    or ``add`` may come with further ``add`` items (optional components chosen with it)."""
    if not isinstance(document, dict):
        raise Incomplete(f"{where}: expected a JSON object, found {type(document).__name__}")
    items = document.get(items_key)
    if not isinstance(items, list) or not items:
        raise Incomplete(f"{where}: '{items_key}' must be a non-empty list of items (a mandatory attribute)")
    stated: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(items):
        path = f"{where} @ $.{items_key}[{index}]"
        if not isinstance(item, dict):
            raise RequestError(f"{path}: expected an object, found {type(item).__name__}")
        action = item.get("action")
        if action == "noChange":
            continue
        if action not in INTENT_ACTIONS:
            raise RequestError(f"{path}.action: expected one of add, modify, delete, noChange, found {action!r}")
        stated.append((index, item))
    if not stated:
        raise RequestError(f"{where} @ $.{items_key}: no item says what to change (action add, modify or delete)")
    main_index, main = next(((i, it) for i, it in stated if it["action"] != "add"), stated[0])
    extras = [(i, it) for i, it in stated if i != main_index]
    if any(it["action"] != "add" for _, it in extras) or (extras and main["action"] == "delete"):
        raise RequestError(f"{where} @ $.{items_key}: one change per request — a modify or add with optional "
                           f"add items, or one delete; found {len(stated)} items to change")
    path = f"{where} @ $.{items_key}[{main_index}]"
    product: dict[str, Any] = main["product"] if isinstance(main.get("product"), dict) else {}
    product_id = _id_of(product)
    offering = _id_of(main.get("productOffering")) or _id_of(product.get("productOffering"))
    if main["action"] in ("modify", "delete") and product_id is None:
        raise RequestError(f"{path}.product.id: a {main['action']} names the installed product it changes")
    if main["action"] == "add" and offering is None:
        raise RequestError(f"{path}.productOffering.id: an add names the offering to add")
    characteristics = _characteristics(product.get("productCharacteristic"), f"{path}.product.productCharacteristic")
    if main["action"] == "modify" and offering is None and not characteristics:
        raise RequestError(f"{path}: a modify names the offering to change to (productOffering.id) or "
                           f"characteristic values (product.productCharacteristic)")
    parent = None
    relationships = product.get("productRelationship")
    if main["action"] == "add" and isinstance(relationships, list):
        parent = next((pid for pid in map(_id_of, relationships) if pid), None)
    options = []
    for index, item in extras:
        option = _id_of(item.get("productOffering"))
        if option is None:
            raise RequestError(f"{where} @ $.{items_key}[{index}].productOffering.id: an add names the offering")
        options.append(option)
    return Intent(main["action"], product_id, offering, parent, characteristics, tuple(options), party_of(document))


def _characteristics(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise RequestError(f"{path}: expected a list of {{name, value}} objects")
    out: dict[str, Any] = {}
    for index, entry in enumerate(value):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or "value" not in entry:
            raise RequestError(f"{path}[{index}]: expected an object with a name and a value")
        out[entry["name"]] = entry["value"]
    return out


# ---------------------------------------------------------------------------------------------- outputs
def _typed(value: dict[str, Any], type_name: str, v5: bool) -> dict[str, Any]:
    return {**value, "@type": type_name} if v5 else value


def _money(amount: Any) -> dict[str, Any]:
    rounded = amount.rounded()
    return {"unit": rounded.currency, "value": rounded.amount}


def _price(amount: Any, v5: bool) -> dict[str, Any]:
    return _typed({"taxIncludedAmount": _money(amount)}, "Price", v5)


def _retyped(value: Any, old: str, new: str) -> Any:
    """A copy of ``value`` with every ``@type`` ``old`` renamed ``new`` (TMF622 prices → cart/quote prices): the
    order it comes from is left as it was."""
    if isinstance(value, dict):
        return {k: new if k == "@type" and v == old else _retyped(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_retyped(v, old, new) for v in value]
    return value


@dataclass(frozen=True)
class Flavor:
    """How one API spells the parts of an item list (TMF663 cart, TMF648 quote)."""

    items: str
    prices: str
    price_type: str
    item_type: str
    terms: str | None
    item_total: str | None


CART_V4 = Flavor("cartItem", "itemPrice", "CartPrice", "CartItem", "itemTerm", "ItemTotalPrice")  # sic, v4 spec
CART_V5 = Flavor("cartItem", "itemPrice", "CartPrice", "CartItem", "itemTerm", "itemTotalPrice")
QUOTE_V4 = Flavor("quoteItem", "quoteItemPrice", "QuotePrice", "QuoteItem", None, None)


def _before_price(result: ChangeResult, product_id: str, v5: bool, flavor: Flavor) -> dict[str, Any] | None:
    c = result.consequences
    entry = c.before.products.get(product_id) if c is not None else None
    if entry is None or entry.base is None or entry.net is None:
        return None
    offering = result.catalog.offerings.get(entry.offering_id)
    name = (offering.name if offering and offering.name else entry.offering_id) + " monthly"
    price: dict[str, Any] = {"name": name, "description": "before the change", "priceType": "recurring",
                             "recurringChargePeriod": "month", "price": _price(entry.base, v5)}
    if entry.discounts:
        price["priceAlteration"] = [
            _typed({"name": d.name, "description": d.source, "priceType": "recurring", "recurringChargePeriod": "month",
                    "price": _price(d.amount, v5)}, "PriceAlteration", v5) for d in entry.discounts]
    return _typed(price, flavor.price_type, v5)


def _terms(result: ChangeResult, item: Any, v5: bool) -> list[dict[str, Any]]:
    if item.action.value == "delete":
        return []
    terms = item.terms
    if terms is None and item.installed:
        terms = result.inventory.products[item.product_id].product_term
    out = []
    for term in terms or []:
        entry: dict[str, Any] = {}
        if term.name:
            entry["name"] = term.name
        description = [term.description] if term.description else []
        if term.valid_for is not None and term.valid_for.end is not None:
            description.append(f"ends {iso(term.valid_for.end)}")
        if description:
            entry["description"] = "; ".join(description)
        if term.duration is not None and term.duration.amount is not None:
            entry["duration"] = _typed({"amount": int(term.duration.amount), "units": term.duration.units or "month"},
                                       "Duration", v5) if v5 else {"amount": int(term.duration.amount),
                                                                   "units": term.duration.units or "month"}
        out.append(entry)
    return out


def _note(text: str, v5: bool) -> dict[str, Any]:
    return _typed({"text": text}, "Note", v5)


def _numbered(notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Notes with ids "1", "2"… in order (TMF679 v4 and TMF648 v4 require a note's id)."""
    return [{"id": str(index), **note} for index, note in enumerate(notes, start=1)]


def result_items(result: ChangeResult, version: int, flavor: Flavor) -> list[dict[str, Any]]:
    """Every delta item as an item of ``flavor``, components nested in their bundle's item, with prices before and
    after, terms, and the reasons as notes; the promotions and recommendations as notes of the top item."""
    v5 = version == 5
    order = to_tmf622(result, version)
    by_id: dict[str, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    product_item = {item.product_id: item for item in result.items}
    for item, ordered in zip(result.items, order["productOrderItem"], strict=True):
        entry: dict[str, Any] = {"id": item.id, "action": item.action.value, "quantity": 1,
                                 "productOffering": ordered["productOffering"], "product": ordered["product"]}
        prices: list[dict[str, Any]] = []
        if item.installed:
            before = _before_price(result, item.product_id, v5, flavor)
            if before is not None:
                prices.append(before)
        for price in ordered.get("itemPrice", []):
            price = _retyped(price, "OrderPrice", flavor.price_type)
            if price.get("priceType") == "recurring":
                price["description"] = "after the change"
            prices.append(price)
        if prices:
            entry[flavor.prices] = prices
        if flavor.item_total and ordered.get("itemTotalPrice"):
            entry[flavor.item_total] = _retyped(ordered["itemTotalPrice"], "OrderPrice", flavor.price_type)
        terms = _terms(result, item, v5)
        notes = [_note(f"{r.code}: {r.message} ({r.source})", v5) for r in item.reasons]
        if terms and flavor.terms:
            entry[flavor.terms] = [_typed(t, "CartTerm", v5) for t in terms]
        elif terms:
            notes += [_note("term: " + "; ".join(str(v) for k, v in t.items() if k != "duration"), v5) for t in terms]
        if notes:
            entry["note"] = _numbered(notes)
        entry = _typed(entry, flavor.item_type, v5)
        by_id[item.id] = entry
        parent = product_item.get(item.parent_id or "")
        if parent is not None and parent.id in by_id:
            by_id[parent.id].setdefault(flavor.items, []).append(entry)
        else:
            roots.append(entry)
    c = result.consequences
    if roots and c is not None:
        extra = [_note(f"promotion {p.status}: {p.name} ({p.promotion_id})" + (
            f", {p.before.rounded()}/month before" if p.before is not None else "") + (
            f", {p.after.rounded()}/month after" if p.after is not None else ""), v5) for p in c.promotions]
        extra += [_note(f"recommended: {r.message} ({r.offering_id}; rule:{r.rule_id})", v5) for r in c.recommendations]
        if c.timing is not None:
            extra.append(_note(f"takes effect {iso(c.timing.effective)} ({c.timing.policy}; {c.timing.source})", v5))
        if extra:
            roots[0]["note"] = _numbered([{k: v for k, v in n.items() if k != "id"}
                                          for n in roots[0].get("note", []) + extra])
    return roots


def total_prices(result: ChangeResult, version: int, price_type: str) -> list[dict[str, Any]]:
    """The totals: monthly before and after, one-time charges and fees, penalties, proration, due now."""
    v5 = version == 5
    c = result.consequences
    if c is None:
        return []
    lines = [("Total per month before the change", "recurring", c.recurring_before),
             ("Total per month after the change", "recurring", c.recurring_after),
             ("One-time charges and fees", "oneTime", c.one_time_total),
             ("Penalties", "oneTime", c.penalty_total),
             ("Proration", "oneTime", c.proration_total),
             ("Total due now", "oneTime", c.due_now)]
    out = []
    for name, kind, amount in lines:
        entry: dict[str, Any] = {"name": name, "priceType": kind}
        if kind == "recurring":
            entry["recurringChargePeriod"] = "month"
        entry["price"] = _price(amount, v5)
        out.append(_typed(entry, price_type, v5))
    return out


def _related_party(party: str | None, v5: bool, type_name: str = "RelatedPartyRefOrPartyRoleRef",
                   result: ChangeResult | None = None) -> list[dict[str, Any]]:
    """The document's parties: the inventory's (customer, reseller… as they are: name, role, @referredType) when
    ``party`` is one of them or none is named; else the party the request names, by id alone."""
    held = parties(result) if result is not None else []
    if held and (party is None or any(p.party_id == party for p in held)):
        return related_parties(held, v5, type_name)
    if party is None:
        return []
    return related_parties([RelatedParty(id=party, role="customer")], v5, type_name)


def shopping_cart(result: ChangeResult, version: int, cart_id: str, href: str, party: str | None,
                  created: datetime, updated: datetime) -> dict[str, Any]:
    v5 = version == 5
    cart: dict[str, Any] = {"id": cart_id, "href": href}
    parties = _related_party(party, v5, "RelatedPartyOrPartyRole", result)  # TMF663 v5's name
    if parties:
        cart["relatedParty"] = parties
    cart["validFor"] = {"startDateTime": iso(result.as_of)}
    if v5:
        cart["creationDate"] = iso(created)
        cart["lastUpdate"] = iso(updated)
    cart["cartItem"] = result_items(result, version, CART_V5 if v5 else CART_V4)
    cart["cartTotalPrice"] = total_prices(result, version, "CartPrice")
    cart["@type"] = "ShoppingCart"
    return cart


def quote(result: ChangeResult | None, refusal: str | None, intent_items: list[dict[str, Any]], quote_id: str,
          href: str, party: str | None, quoted: datetime, as_of: datetime) -> dict[str, Any]:
    """A TMF648 v4 Quote: ``approved`` with the engine's items, or ``rejected`` with the refusal as a note."""
    doc: dict[str, Any] = {"id": quote_id, "href": href, "quoteDate": iso(quoted),
                           "expectedFulfillmentStartDate": iso(as_of)}
    if result is not None:
        doc["description"] = summary(result)
        doc["state"] = "approved"
        parties = _related_party(party, False, result=result)
        if parties:
            doc["relatedParty"] = parties
        doc["quoteItem"] = result_items(result, 4, QUOTE_V4)
        doc["quoteTotalPrice"] = total_prices(result, 4, "QuotePrice")
    else:
        doc["state"] = "rejected"
        doc["note"] = _numbered([{"text": refusal}])
        doc["quoteItem"] = [{**item, "state": "rejected"} for item in intent_items]
        parties = _related_party(party, False)
        if parties:
            doc["relatedParty"] = parties
    doc["@type"] = "Quote"
    return doc


def intent_items(intent: Intent, version: int, kind: str) -> list[dict[str, Any]]:
    """The items of a refused request, as the client stated them (ids "1", "2"…), for the rejected document."""
    v5 = version == 5
    items = []
    entries = [(intent.action, intent.product, intent.offering)] + [("add", None, o) for o in intent.options]
    for index, (action, product, offering) in enumerate(entries, start=1):
        item: dict[str, Any] = {"id": str(index), "action": action, "quantity": 1}
        if offering is not None:
            item["productOffering"] = _typed({"id": offering}, "ProductOfferingRef", v5)
        if product is not None:
            item["product"] = _typed({"id": product}, "ProductRef", v5)
        items.append(_typed(item, kind, v5))
    return items


def partner_reference(change_reference: str, order_id: str) -> str:
    """The externalId linking a service order to its partner orders: the change's reference (``order_reference``)
    and the order's id (the same change ordered twice is two orders; each supplier must tell them apart)."""
    return f"{change_reference}-{order_id}"


def product_order(result: ChangeResult | None, refusal: str | None, intent: Intent, version: int, order_id: str,
                  href: str, created: datetime, change_reference: str | None = None) -> dict[str, Any]:
    """The TMF622 ProductOrder: the engine's completed order ``acknowledged``, or the stated items ``rejected`` with
    the reasons as notes. ``change_reference``: the change has partner items, and this is its reference."""
    v5 = version == 5
    head: dict[str, Any] = {"id": order_id, "href": href}
    if result is not None:
        # with partner items: the externalId its partner orders refer to (…/productOrder/{id}/partnerOrder)
        state = "acknowledged"
        order = customer_order(result, version, reference=partner_reference(change_reference, order_id),
                               item_state=state) \
            if change_reference is not None else to_tmf622(result, version, item_state=state)
    else:
        order = {"description": f"Refused: {intent.action} {intent.product or intent.offering}",
                 "productOrderItem": intent_items(intent, version, "ProductOrderItem"), "@type": "ProductOrder"}
        parties = _related_party(intent.party, v5)
        if parties:
            order["relatedParty"] = parties
        state = "rejected"
        for item in order["productOrderItem"]:
            item["state"] = state
        order["note"] = _numbered([_note(refusal or "refused", v5)])
    head[("creationDate" if v5 else "orderDate")] = iso(created)
    head["state"] = state
    return {**head, **order}


@dataclass(frozen=True)
class Answer:
    """One item of a qualification: its id, the installed product it is about (None: an acquisition, action
    ``add``), the category it was asked by, and the candidate offering with its verdict."""

    ident: str
    product: str | None
    candidate: Candidate
    category: str | None = None
    terminated: bool = False
    """The item could not be qualified (a category the catalog does not know): ``terminatedWithError``."""
    activation: str | None = None
    """The item's ``expectedActivationDate`` as the request gave it."""


@dataclass(frozen=True)
class Asked:
    """What a qualification request asks for besides its items (TMF679 ``provide…`` flags; absent flags: reasons
    and alternatives are given, unavailable offerings are listed)."""

    alternative: bool = True
    reason: bool = True
    only_available: bool = False
    party: str | None = None
    description: str | None = None
    echo: dict[str, Any] = field(default_factory=dict)
    """Attributes of the request the answer carries as given (``channel``, ``place``, ``note``,
    ``expectedQualificationDate``…: :data:`POQ_ECHOED`)."""


POQ_ECHOED = {4: ("channel", "category", "requestedPOQCompletionDate", "instantSyncQualification",
                  "expectedQualificationDate"),
              5: ("channel", "requestedQualificationCompletionDate", "instantSyncQualification")}
"""The request attributes a qualification answer repeats as given (when not null), by version
(``expectedQualificationDate`` is TMF679 R18's name, which its conformance kit filters on)."""


def qualification(answers: list[Answer], asked: Asked, version: int, poq_id: str, href: str,
                  created: datetime, as_of: datetime) -> dict[str, Any]:
    """TMF679 (v4 ProductOfferingQualification, v5 CheckProductOfferingQualification): one item per answer, with
    its result, the reasons (``provideUnavailabilityReason`` / ``provideResultReason``), the alternative
    (``provideAlternative``), and prices, charges, penalties and promotions as notes; ``provideOnlyAvailable``
    keeps the qualified items only."""
    v5 = version == 5
    items = []
    for answer in answers:
        item = _poq_item(answer, asked, v5)
        if asked.only_available and item["qualificationItemResult"] != "qualified" and not answer.terminated:
            continue  # an item that could not be qualified stays: the caller must learn why
        items.append(item)
    results = {i["qualificationItemResult"] for i in items}
    result = "qualified" if "qualified" in results else "alternate" if "alternate" in results else "unqualified"
    described = asked.description or ("What the installed products can change to"
                                      if all(a.product for a in answers) else "What can be ordered")
    doc: dict[str, Any] = {"id": poq_id, "href": href, "description": described,
                           "effectiveQualificationDate": iso(as_of), "provideAlternative": asked.alternative,
                           "provideOnlyAvailable": asked.only_available}
    doc["provideResultReason" if v5 else "provideUnavailabilityReason"] = asked.reason
    if v5:
        doc["creationDate"] = iso(created)
    else:
        doc["productOfferingQualificationDate"] = iso(created)
        doc["productOfferingQualificationDateTime"] = iso(created)  # TMF679 R18's name, kept for its clients
    for key, value in asked.echo.items():
        value = _without_nulls(value)  # a null attribute is an absent one
        doc[key] = {"@type": "ChannelRef", **value} if v5 and key == "channel" else value
    doc["qualificationResult"] = result
    doc["state"] = "terminatedWithError" if answers and all(a.terminated for a in answers) else "done"
    parties = _related_party(asked.party, v5, "RelatedPartyOrPartyRole")  # TMF679 v5's name
    if parties:
        doc["relatedParty"] = parties
    doc["checkProductOfferingQualificationItem" if v5 else "productOfferingQualificationItem"] = items
    doc["@type"] = "CheckProductOfferingQualification" if v5 else "ProductOfferingQualification"
    return doc


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def query_qualification(answers: list[Answer], criteria: dict[str, Any], party: str | None, query_id: str,
                        href: str, created: datetime, as_of: datetime) -> dict[str, Any]:
    """TMF679 v5 QueryProductOfferingQualification: the offerings that qualify for what ``searchCriteria`` names,
    each a ``qualifiedProductOfferingItem`` (the ones that do not are left out, as the resource says)."""
    items = []
    for answer in answers:
        if not answer.candidate.qualified:
            continue
        item: dict[str, Any] = {"id": answer.ident, "productOffering": {
            "id": answer.candidate.offering_id, "@referredType": "ProductOffering", "@type": "ProductOfferingRef"}}
        if answer.product is not None:
            item["product"] = {"id": answer.product, "@referredType": "Product", "@type": "ProductRef"}
        if answer.category is not None:
            item["category"] = {"id": answer.category, "@referredType": "Category", "@type": "CategoryRef"}
        item["@type"] = "QueryProductOfferingQualificationItem"
        items.append(item)
    search: dict[str, Any] = {}
    for key, type_name, referred in (("product", "ProductRef", "Product"),
                                     ("productOffering", "ProductOfferingRef", "ProductOffering"),
                                     ("category", "CategoryRef", "Category")):
        ident = _id_of(criteria.get(key))
        if ident is not None:
            search[key] = {"id": ident, "@referredType": referred, "@type": type_name}
    search["@type"] = "QueryProductOfferingQualificationItem"
    doc: dict[str, Any] = {"id": query_id, "href": href, "creationDate": iso(created),
                           "effectiveQualificationDate": iso(as_of), "state": "done", "searchCriteria": search}
    parties = _related_party(party, True, "RelatedPartyOrPartyRole")
    if parties:
        doc["relatedParty"] = parties
    doc["qualifiedProductOfferingItem"] = items
    doc["@type"] = "QueryProductOfferingQualification"
    return doc


def _candidate_notes(answer: Answer) -> list[str]:
    candidate = answer.candidate
    notes = []
    before, after = candidate.recurring_before, candidate.recurring_after
    if answer.product is not None and before is not None and after is not None:
        notes.append(f"monthly price {before.rounded()} → {after.rounded()} ({(after - before).rounded()})")
    elif answer.product is None and candidate.qualified and after is not None:
        notes.append(f"monthly price {after.rounded()}")
    for charge in candidate.charges:
        if charge.kind != "penalty":
            notes.append(f"{charge.kind} {charge.name}: {charge.amount.rounded()} ({charge.source})")
    if candidate.penalties is not None and candidate.penalties.amount:
        notes.append(f"penalties due: {candidate.penalties.rounded()}")
    if answer.product is None and candidate.due_now is not None and candidate.due_now.amount:
        notes.append(f"due now: {candidate.due_now.rounded()}")
    for label, ids in (("promotions gained", candidate.promotions_gained),
                       ("promotions lost", candidate.promotions_lost)):
        if ids:
            notes.append(f"{label}: {', '.join(ids)}")
    if candidate.qualified:
        notes += [f"{r.code}: {r.message} ({r.source})" for r in candidate.reasons]
    return notes


def _terminated_item(answer: Answer, asked: Asked, v5: bool) -> dict[str, Any]:
    """An item that could not be qualified: ``terminatedWithError`` with the reason as its termination error."""
    item: dict[str, Any] = {"id": answer.ident, "action": "add"}
    if answer.activation is not None:
        item["expectedActivationDate"] = answer.activation
    if answer.category is not None:
        item["category"] = {"id": answer.category, "@referredType": "Category", "@type": "CategoryRef"}
    item["qualificationItemResult"] = "unqualified"
    item["state"] = "terminatedWithError"
    reasons = answer.candidate.reasons
    item["terminationError"] = [_typed({"id": str(n), "value": r.message}, "TerminationError", v5)
                                for n, r in enumerate(reasons, start=1)]
    if asked.reason:
        key, type_name = ("eligibilityResultReason", "EligibilityResultReason") if v5 else (
            "eligibilityUnavailabilityReason", "")
        item[key] = [_typed({"code": r.code, "label": r.message}, type_name, v5) for r in reasons]
    return _typed(item, "CheckProductOfferingQualificationItem", v5)


def _poq_item(answer: Answer, asked: Asked, v5: bool) -> dict[str, Any]:
    if answer.terminated:
        return _terminated_item(answer, asked, v5)
    candidate = answer.candidate
    alternative = candidate.alternative if asked.alternative and not candidate.qualified else None
    result = "qualified" if candidate.qualified else "alternate" if alternative else "unqualified"
    item: dict[str, Any] = {"id": answer.ident, "action": "modify" if answer.product else "add"}
    if answer.activation is not None:
        item["expectedActivationDate"] = answer.activation
    if answer.product is not None:
        item["product"] = _typed({"id": answer.product, "@referredType": "Product"}, "ProductRef", v5)
    item["productOffering"] = _typed({"id": candidate.offering_id, "@referredType": "ProductOffering"},
                                     "ProductOfferingRef", v5)
    if answer.category is not None and v5:
        item["category"] = {"id": answer.category, "@referredType": "Category", "@type": "CategoryRef"}
    item["qualificationItemResult"] = result
    item["state"] = "done"
    if asked.reason and not candidate.qualified and candidate.reasons:
        key, type_name = ("eligibilityResultReason", "EligibilityResultReason") if v5 else (
            "eligibilityUnavailabilityReason", "")
        item[key] = [_typed({"code": r.code, "label": r.message}, type_name, v5) for r in candidate.reasons]
    if alternative:
        item["alternateProductOfferingProposal"] = [_typed({
            "id": f"{answer.ident}-1",
            "alternateProductOffering": _typed({"id": alternative, "@referredType": "ProductOffering"},
                                               "ProductOfferingRef", v5),
        }, "AlternateProductOfferingProposal", v5)]
    notes = _candidate_notes(answer)
    if notes:
        item["note"] = _numbered([_note(text, v5) for text in notes])
    return _typed(item, "CheckProductOfferingQualificationItem", v5)


def error(status: int, reason: str, message: str, code: str | None = None) -> dict[str, Any]:
    """A TMF ``Error`` (code, reason, message, status): the same located sentence as the CLI prints."""
    return {"code": code or str(status), "reason": reason, "message": message, "status": str(status), "@type": "Error"}
