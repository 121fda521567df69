"""Hypothesis strategies for property-testing odedelta — and your own catalogs and rules.

Install with ``pip install odedelta[testing]``. Everything here builds *valid* data: a strategy that builds what
the loader refuses is a bug (``tests/test_strategies.py`` checks it).

* :func:`catalog_documents` / :func:`catalogs` — random catalogs: specifications with characteristics and allowed
  values, simple offerings and bundles nested three levels deep with cardinalities (mandatory, optional, 0..n
  unbounded), prices in one currency, commitment terms, promotions with criteria and discount actions, lifecycle
  states (some offerings retired, with a successor).
* :func:`inventory_documents` / :func:`inventories` — installed product trees for a catalog that respect its
  cardinalities and allowed values, with commitment terms active, ending soon or expired relative to ``as_of``.
* :func:`requests` — change requests of every kind for an inventory.
* :func:`rule_documents` — a rule file for a catalog: eligibility, penalties of every formula, fees, discounts,
  recommendations, promotion_loss; conditions over free customer attributes too (:data:`ATTRIBUTES`).
* :func:`attribute_values` — what a caller may send as those attributes, readable or not as their type.

Hostile input — what a loader or the rule checker must *refuse* with a located error (reference/limits.md), never a
crash, a hang or a silently dropped file: :func:`deep_nesting`, :func:`huge_numbers`, :func:`non_finite_numbers`,
:func:`invalid_encodings` and :func:`pathological_conditions`.

Each shrinks towards few, small resources: fewer specifications, fewer offerings, fewer components.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("odedelta.strategies needs hypothesis: pip install 'odedelta[testing]'") from exc

from odedelta.model.catalog import Catalog, Document
from odedelta.model.inventory import Inventory
from odedelta.model.money import MINOR_UNITS
from odedelta.model.requests import (
    Acquire,
    AddOffering,
    ChangeOffer,
    ModifyCharacteristics,
    RemoveProduct,
    Renew,
    Request,
    TerminateProduct,
)

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
EPOCH = {"startDateTime": "2024-01-01T00:00:00Z"}
CURRENCY = "EUR"

amounts = st.integers(min_value=0, max_value=200).map(lambda n: Decimal(n) / 2)
"""Prices in halves of a currency unit: exact in Decimal and in binary floating point."""


def _money(amount: Decimal, currency: str = CURRENCY) -> dict[str, Any]:
    return {"unit": currency, "value": amount}


def currencies(minor_units: tuple[int, ...] = (0, 2, 3)) -> st.SearchStrategy[str]:
    """ISO 4217 currency codes whose minor unit has one of these numbers of decimals (JPY 0, GBP 2, KWD 3…)."""
    return st.sampled_from(sorted(code for code, units in MINOR_UNITS.items() if units in minor_units))


@st.composite
def _specification(draw: st.DrawFn, index: int) -> dict[str, Any]:
    characteristics = []
    for c in range(draw(st.integers(0, 2))):
        values = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=0, max_size=3, unique=True))
        default = draw(st.sampled_from(values)) if values else None
        characteristics.append({
            "name": f"c{c}",
            "valueType": "string",
            "minCardinality": 1 if values else 0,
            "maxCardinality": 1,
            "productSpecCharacteristicValue": [{"value": v, "isDefault": v == default} for v in values],
        })
    return {"id": f"ps-{index}", "name": f"Specification {index}", "@type": "ProductSpecification",
            "productSpecCharacteristic": characteristics}


@st.composite
def catalog_documents(draw: st.DrawFn, max_leaves: int = 6, suppliers: int = 0, currency: str = CURRENCY,
                      sparse_prices: bool = False) -> list[dict[str, Any]]:
    """The resources of a random valid catalog (TMF620/TMF671 JSON), as one list. With ``suppliers``, each
    specification may name one of that many partners (``org-supplier-N``) as its ``relatedParty`` supplier.
    Every price is in ``currency``. With ``sparse_prices``, an offering's monthly price may be missing: it has only
    a one-time price, only a usage (per-minute) price, or no price at all."""
    specs = [draw(_specification(i)) for i in range(draw(st.integers(1, 4)))]
    for spec in specs if suppliers else []:
        _supplied(draw, spec, suppliers)
    bundle_specs = [{"id": f"ps-b{i}", "name": f"Bundle specification {i}", "@type": "ProductSpecification"}
                    for i in range(2)]
    # top-level bundles draw from their own specifications and the level-1 ones: one specification may sit at
    # two nesting levels, and a change must then move the installed product between levels, not replace it
    top_specs = [{"id": "ps-t0", "name": "Top bundle specification", "@type": "ProductSpecification"}]
    categories = [{"id": f"cat-{i}", "name": f"Category {i}", "@type": "Category"} for i in range(2)]
    made = _Offerings(draw, [c["id"] for c in categories], currency, sparse_prices)
    leaves = []
    for i in range(draw(st.integers(1, max_leaves))):
        spec = draw(st.sampled_from(specs))
        leaves.append(made.offering(f"po-l{i}", spec["id"], {"isBundle": False,
                                                             "prodSpecCharValueUse": _fixed_values(draw, spec)}))
    level1 = [made.offering(f"po-m{i}", draw(st.sampled_from(bundle_specs))["id"],
                            {"isBundle": True, "bundledProductOffering": _slots(draw, leaves)})
              for i in range(draw(st.integers(1, 3)))]
    tops = [made.offering(f"po-t{i}", draw(st.sampled_from(top_specs + bundle_specs))["id"],
                          {"isBundle": True, "bundledProductOffering": _slots(draw, level1 + leaves),
                           "productOfferingTerm": [{"name": "commitment", "duration": {"amount": draw(
                               st.sampled_from([12, 24])), "units": "month"}}]})
            for i in range(draw(st.integers(1, 3)))]
    if len(tops) > 1 and draw(st.booleans()):  # an end-of-sale top offering with its successor
        tops[0]["lifecycleStatus"] = "Retired"
        tops[0]["productOfferingRelationship"] = [{"id": tops[1]["id"], "relationshipType": "replacedBy"}]
    promotions = [_promotion(draw, i, tops + level1, leaves) for i in range(draw(st.integers(0, 2)))]
    return [*specs, *bundle_specs, *top_specs, *categories, *made.prices, *made.offerings, *promotions]


def _supplied(draw: st.DrawFn, spec: dict[str, Any], suppliers: int) -> None:
    """Maybe name one of ``suppliers`` partners as the specification's supplier."""
    n = draw(st.integers(-1, suppliers - 1))
    if n >= 0:
        spec["relatedParty"] = [{"id": f"org-supplier-{n}", "name": f"Supplier {n}",
                                 "role": draw(st.sampled_from(["supplier", "partner", "provider"])),
                                 "@referredType": "Organization"}]


class _Offerings:
    """The offerings of one drawn catalog and their prices, in the order they were made."""

    def __init__(self, draw: st.DrawFn, categories: list[str], currency: str, sparse_prices: bool) -> None:
        self.draw, self.categories, self.currency, self.sparse_prices = draw, categories, currency, sparse_prices
        self.prices: list[dict[str, Any]] = []
        self.offerings: list[dict[str, Any]] = []

    def price(self, owner: str, kind: str, amount: Decimal) -> dict[str, str]:
        pop: dict[str, Any] = {"id": f"pop-{owner}-{kind}", "name": f"{owner} {kind}", "priceType": kind,
                               "price": _money(amount, self.currency), "@type": "ProductOfferingPrice"}
        if kind == "recurring":
            pop["recurringChargePeriodType"] = "month"
            pop["recurringChargePeriodLength"] = 1
        self.prices.append(pop)
        return {"id": pop["id"]}

    def offering(self, oid: str, spec: str, extra: dict[str, Any]) -> dict[str, Any]:
        draw = self.draw
        doc = {"id": oid, "name": oid, "lifecycleStatus": "Active", "validFor": EPOCH,
               "productSpecification": {"id": spec},
               "category": [{"id": draw(st.sampled_from(self.categories))}],
               "productOfferingPrice": [self.price(oid, "recurring", draw(amounts))], "@type": "ProductOffering",
               **extra}
        monthly = draw(st.sampled_from(["recurring", "oneTime", "usage", "none"])) if self.sparse_prices \
            else "recurring"
        if monthly != "recurring":
            self.prices.pop()
            doc["productOfferingPrice"] = [] if monthly == "none" else [self.price(oid, monthly, draw(amounts))]
        if monthly != "oneTime" and draw(st.booleans()):
            doc["productOfferingPrice"].append(self.price(oid, "oneTime", draw(amounts)))
        self.offerings.append(doc)
        return doc


def _fixed_values(draw: st.DrawFn, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Characteristic values a leaf offering fixes (some of its specification's characteristics, one value each)."""
    uses: list[dict[str, Any]] = []
    for char in spec["productSpecCharacteristic"]:
        values = [v["value"] for v in char["productSpecCharacteristicValue"]]
        if not values:
            continue
        if draw(st.booleans()):
            fixed = draw(st.sampled_from(values))
            uses.append({"name": char["name"], "productSpecCharacteristicValue": [{"value": fixed,
                                                                                   "isDefault": True}]})
    return uses


def _slots(draw: st.DrawFn, pool: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One to three bundled offerings from ``pool``, each with drawn cardinalities."""
    chosen = draw(st.lists(st.sampled_from([o["id"] for o in pool]), min_size=1, max_size=3, unique=True))
    out = []
    for oid in chosen:
        lower = draw(st.integers(0, 1))
        upper = draw(st.one_of(st.none(), st.integers(max(lower, 1), lower + 2)))
        default = draw(st.integers(lower, upper if upper is not None else lower + 1))
        option = {"numberRelOfferLowerLimit": lower, "numberRelOfferDefault": default}
        if upper is not None:
            option["numberRelOfferUpperLimit"] = upper
        out.append({"id": oid, "bundledProductOfferingOption": option})
    return out


def _promotion(draw: st.DrawFn, index: int, qualifying_pool: list[dict[str, Any]],
               targets: list[dict[str, Any]]) -> dict[str, Any]:
    """A TMF671 promotion: a discount on a leaf offering while a bundle of ``qualifying_pool`` is installed."""
    qualifying = draw(st.sampled_from([o["id"] for o in qualifying_pool]))
    target = draw(st.sampled_from([o["id"] for o in targets]))
    value = draw(st.sampled_from(["50%", "100%", "2.50"]))
    return {
        "id": f"promo-{index}", "name": f"Promotion {index}", "lifecycleStatus": "active", "validFor": EPOCH,
        "pattern": [{"criteriaGroup": [{"criteria": [{"criteriaParameter": "productOffering.id",
                                                      "criteriaOperator": "=", "criteriaValue": qualifying}]}],
                     "action": [{"actionType": "discount", "actionValue": value,
                                 "actionEntityRef": {"id": target, "@referredType": "ProductOffering"}}]}],
        "@type": "Promotion"}


# odedelta.rules.facts.KIND_SECTIONS (item.*)
_SEES_ITEM = ("penalty", "recommendation", "promotion_loss", "sla_credit", "revenue_share", "partner_charge")


@st.composite
def rule_documents(draw: st.DrawFn, catalog: Catalog) -> str:
    """A rule file (YAML text) for ``catalog``: eligibility denies and an allow exception, penalties with every
    formula, fees, a discount, a recommendation and a promotion_loss keep — conditions over the target, the
    installed product, its term, the customer and the change, as a product manager would write them."""
    offerings = sorted(catalog.offerings)
    categories = sorted(catalog.categories) or ["cat-0"]
    leaves = [o for o in offerings if not catalog.graph.components(o)] or offerings
    thresholds = st.integers(0, 24)

    def condition(kind: str) -> str:
        options = [
            f"target.offering == '{draw(st.sampled_from(offerings))}'",
            f"'{draw(st.sampled_from(categories))}' in target.categories",
            f"term.active and term.months_elapsed < {draw(thresholds)}",
            f"term.months_remaining >= {draw(thresholds)}",
            f"change.direction == '{draw(st.sampled_from(['upgrade', 'downgrade', 'lateral']))}'",
            f"customer.segment == '{draw(st.sampled_from(['business', 'residential']))}'",
            "not exists(customer.segment)",
            f"installed.price > {draw(amounts)}",
            f"item.action == '{draw(st.sampled_from(['add', 'modify', 'delete', 'noChange']))}'",
            "target.lifecycle == 'Retired'",
            f"change.kind == '{draw(st.sampled_from(['change_offer', 'terminate', 'remove']))}'",
        ]
        if kind not in _SEES_ITEM:  # the checker refuses a fact the rule's kind never sees
            options = [o for o in options if not o.startswith("item.")]
        return draw(st.sampled_from(options))

    def attribute_condition() -> str:
        return draw(st.sampled_from([
            f"customer.attributes.loyalty_months > {draw(thresholds)}",
            f"customer.attributes.loyalty_months <= {draw(thresholds)}",
            "customer.attributes.vip",
            f"customer.attributes.tier == '{draw(st.sampled_from(['gold', 'silver']))}'",
            "not exists(customer.attributes.tier)",
        ]))

    def when(kind: str) -> str:
        parts = []
        for _ in range(draw(st.integers(1, 2))):
            parts.append(attribute_condition() if draw(st.sampled_from([False, False, True])) else condition(kind))
        return " and ".join(parts)

    rules: list[str] = []

    def rule(kind: str, then: str, priority: int | None = None) -> None:
        n = len(rules)
        rules.append(f"  - id: {kind}-{n}\n    kind: {kind}\n    description: generated {kind} rule {n}\n"
                     + (f"    priority: {priority}\n" if priority is not None else "")
                     + f"    when: \"{when(kind)}\"\n    then: {then}\n")

    for _ in range(draw(st.integers(0, 3))):
        rule("eligibility", "{decision: deny, reason: generated, message: Not allowed.}", len(rules))
    if draw(st.booleans()):
        rule("eligibility", "{decision: allow, reason: exception, message: Allowed.}", 100)
    formulas = ["{name: Fixed fee, formula: fixed, amount: 25.00}",
                "{name: Remaining months, formula: remaining_months, factor: 0.5, maximum: 100}",
                "{name: Remaining value, formula: remaining_value_share, share: 0.25, minimum: 10}",
                "{name: Discount repayment, formula: discount_repayment, share: 0.5}",
                "{name: Waived, formula: waived}"]
    for _ in range(draw(st.integers(0, 3))):
        rule("penalty", draw(st.sampled_from(formulas)), len(rules))  # distinct priorities: one wins
    for _ in range(draw(st.integers(0, 2))):
        rule("fee", f"{{name: Change fee, amount: {draw(amounts)}}}")
    if draw(st.booleans()):
        rule("discount", f"{{name: Loyalty, value: \"10%\", applies_to: {draw(st.sampled_from(offerings))}}}")
    if draw(st.booleans()):
        rule("recommendation", f"{{offering: {draw(st.sampled_from(leaves))}, message: Keep it.}}")
    if draw(st.booleans()):
        rule("promotion_loss", "{keep: true, message: Kept at its price.}")
    return "rules:\n" + "".join(rules) if rules else "rules: []\n"


def build_catalog(documents: list[dict[str, Any]]) -> Catalog:
    return Catalog.from_documents([Document("generated", documents)])


def catalogs(max_leaves: int = 6, suppliers: int = 0, currency: str = CURRENCY,
             sparse_prices: bool = False) -> st.SearchStrategy[Catalog]:
    """Random valid catalogs (see :func:`catalog_documents`)."""
    return catalog_documents(max_leaves, suppliers, currency, sparse_prices).map(build_catalog)


@st.composite
def inventory_documents(draw: st.DrawFn, catalog: Catalog, as_of: datetime = AS_OF,
                        max_roots: int = 2) -> list[dict[str, Any]]:
    """Installed product trees (TMF637 JSON) for ``catalog``: counts within every cardinality, allowed values for
    every characteristic, terms active, ending soon or expired relative to ``as_of``."""
    roots = [o for o in sorted(catalog.offerings) if catalog.graph.components(o)
             and not catalog.graph.bundles_containing(o)]
    products: list[dict[str, Any]] = []
    counter = iter(range(1, 10_000))

    def instantiate(offering: str, depth: int) -> str:
        pid = f"P-{next(counter)}"
        product: dict[str, Any] = {"id": pid, "status": "active", "startDate": "2024-06-01T00:00:00Z",
                                   "productOffering": {"id": offering}, "@type": "Product"}
        chars = []
        spec = catalog.specification_of(offering)
        for char in spec.product_spec_characteristic if spec else []:
            allowed = catalog.allowed_values(offering, char.name)
            if allowed:
                chars.append({"name": char.name, "value": draw(st.sampled_from([v.value for v in allowed]))})
        if chars:
            product["productCharacteristic"] = chars
        products.append(product)
        children = []
        for slot in catalog.graph.components(offering):
            high = slot.upper if slot.upper is not None else slot.lower + 2
            for _ in range(draw(st.integers(slot.lower, min(high, slot.lower + 2)))):
                children.append(instantiate(slot.offering_id, depth + 1))
        if children:
            product["productRelationship"] = [{"relationshipType": "bundles", "product": {"id": c}}
                                              for c in children]
        if depth == 0 and catalog.offering(offering).product_offering_term:
            state = draw(st.sampled_from(["active", "ending soon", "expired", "none"]))
            if state != "none":
                end = as_of + {"active": timedelta(days=300), "ending soon": timedelta(days=20),
                               "expired": timedelta(days=-40)}[state]
                start = end - timedelta(days=365)
                product["productTerm"] = [{"name": "commitment", "duration": {"amount": 12, "units": "month"},
                                           "validFor": {"startDateTime": start.isoformat().replace("+00:00", "Z"),
                                                        "endDateTime": end.isoformat().replace("+00:00", "Z")}}]
        return pid

    for _ in range(draw(st.integers(1, max_roots)) if roots else 0):
        instantiate(draw(st.sampled_from(roots)), 0)
    return products


def inventories(catalog: Catalog, as_of: datetime = AS_OF) -> st.SearchStrategy[Inventory]:
    return inventory_documents(catalog, as_of).map(lambda docs: Inventory.from_document(catalog, docs))


@st.composite
def requests(draw: st.DrawFn, catalog: Catalog, inventory: Inventory, as_of: datetime = AS_OF) -> Request:
    """A change request of any kind that fits ``inventory`` (it may still be refused: a retired target, a value a
    new product needs and has no default for)."""
    roots = inventory.roots()
    sellable_tops = [o for o in sorted(catalog.offerings) if catalog.graph.components(o)
                     and not catalog.graph.bundles_containing(o) and catalog.sellable(o, as_of)[0]]
    kinds = ["acquire"] if not roots else ["change_offer", "add", "remove", "modify", "terminate", "acquire", "renew"]
    kind = draw(st.sampled_from(kinds))
    if kind == "acquire" or not roots:
        return Acquire(offering=draw(st.sampled_from(sellable_tops or sorted(catalog.offerings))))
    root = draw(st.sampled_from(roots))
    if kind == "change_offer":
        return ChangeOffer(product=root, to=draw(st.sampled_from(sellable_tops or [inventory.product(root).offering_id
                                                                                  or ""])))
    if kind == "terminate":
        return TerminateProduct(product=root)
    if kind == "renew":
        return Renew(product=root)
    below = inventory.subtree(root)
    if kind == "add":
        parent = draw(st.sampled_from(below))
        slots = catalog.graph.components(inventory.product(parent).offering_id or "")
        if slots:
            return AddOffering(offering=draw(st.sampled_from(slots)).offering_id, parent=parent)
        return ChangeOffer(product=root, to=inventory.product(root).offering_id or "")
    if kind == "remove" and len(below) > 1:
        return RemoveProduct(product=draw(st.sampled_from(below[1:])))
    product = inventory.product(draw(st.sampled_from(below)))
    for name in product.characteristics():
        allowed = catalog.allowed_values(product.offering_id or "", name)
        if allowed:
            return ModifyCharacteristics(product=product.id,
                                         characteristics={name: draw(st.sampled_from([v.value for v in allowed]))})
    return ChangeOffer(product=root, to=inventory.product(root).offering_id or "")


ATTRIBUTES = {"loyalty_months": "number", "vip": "boolean", "tier": "string"}
"""The free attributes :func:`rule_documents` writes conditions over, with the type the conditions give them."""


@st.composite
def attribute_values(draw: st.DrawFn) -> dict[str, Any]:
    """Customer attributes as a caller sends them: numbers, decimal texts, words, booleans, ``"true"`` — some
    readable as the type the rules give them (:data:`ATTRIBUTES`), some not."""
    values = st.one_of(st.integers(-5, 40), st.integers(-5, 40).map(str), st.decimals(-5, 40, places=2),
                       st.sampled_from(["abc", "", "3.5", "-2", "1e3", "true", "false", "gold", "silver"]),
                       st.booleans(), st.none())
    names = draw(st.lists(st.sampled_from([*ATTRIBUTES, "unused"]), unique=True, max_size=4))
    return {name: draw(values) for name in names}


# ----------------------------------------------------------------------------------------- hostile input


def deep_nesting(min_depth: int = 201, max_depth: int = 5_000) -> st.SearchStrategy[str]:
    """JSON text of lists or objects nested beyond the default depth limit (200)."""
    def text(depth: int, kind: str) -> str:
        return "[" * depth + "]" * depth if kind == "list" else '{"a": ' * depth + "1" + "}" * depth

    return st.builds(text, st.integers(min_depth, max_depth), st.sampled_from(["list", "object"]))


def huge_numbers() -> st.SearchStrategy[str]:
    """Numbers as written in a file that no currency can round: too many digits, too large, too fine."""
    return st.one_of(
        st.integers(29, 5_000).map(lambda n: "9" * n),
        st.integers(16, 999_999_999).map(lambda e: f"1e{e}"),
        st.integers(16, 400).map(lambda e: f"-1.5E+{e}"),
        st.integers(16, 400).map(lambda e: f"1e-{e}"),
        st.integers(30, 60).map(lambda n: "0." + "1" * n),
    )


def non_finite_numbers() -> st.SearchStrategy[str]:
    """Non-finite numbers as JSON (``NaN``, ``Infinity``) or YAML (``.inf``, ``.nan``) writes them."""
    return st.sampled_from(["NaN", "Infinity", "-Infinity", ".inf", "-.inf", ".nan", ".NaN", "+.INF"])


@st.composite
def invalid_encodings(draw: st.DrawFn, text: bytes = b'[{"id": "po-x", "name": "Fiber"}]') -> bytes:
    """``text`` broken as a careless export breaks it: a byte that is not UTF-8, a byte order mark, a NUL, a lone
    surrogate, Latin-1 or UTF-16."""
    at = draw(st.integers(1, len(text) - 1))
    kind = draw(st.sampled_from(["byte", "bom", "nul", "surrogate", "latin1", "utf16"]))
    if kind == "byte":
        return text[:at] + bytes([draw(st.integers(0x80, 0xFF))]) + text[at:]
    if kind == "bom":
        return b"\xef\xbb\xbf" + text
    if kind == "nul":
        return text[:at] + b"\x00" + text[at:]
    if kind == "surrogate":
        return text[:at] + b"\xed\xa0\x80" + text[at:]
    if kind == "latin1":
        return text.replace(b"Fiber", "Fibré".encode("latin-1"))
    return text.decode().encode("utf-16")


def pathological_conditions() -> st.SearchStrategy[str]:
    """Rule conditions built to break a checker: very long or-chains, deep sums, many ``not``s, deep parentheses,
    huge or non-finite constants, long ``in`` lists."""
    return st.one_of(
        st.integers(501, 20_000).map(lambda n: " or ".join(f"target.offering == 'po-{i}'" for i in range(n))),
        st.integers(61, 5_000).map(lambda n: "installed.price > " + " + ".join(["1"] * n)),
        st.integers(61, 100_000).map(lambda n: "not " * n + "term.active"),
        st.integers(201, 5_000).map(lambda n: "(" * n + "term.active" + ")" * n),  # Python reads up to 200
        st.sampled_from(["1e999", "-1e999", "1e16", "9" * 5_000, "1e-30"]).map(lambda c: f"installed.price > {c}"),
        st.integers(501, 3_000).map(lambda n: "target.offering in [" + ", ".join(f"'o{i}'" for i in range(n)) + "]"),
    )


__all__ = [
    "AS_OF",
    "ATTRIBUTES",
    "attribute_values",
    "build_catalog",
    "catalog_documents",
    "catalogs",
    "deep_nesting",
    "huge_numbers",
    "invalid_encodings",
    "inventories",
    "inventory_documents",
    "non_finite_numbers",
    "pathological_conditions",
    "requests",
    "rule_documents",
]
