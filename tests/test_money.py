from decimal import Decimal
from typing import Any

import pytest

import odedelta
from odedelta import CurrencyMismatch, Money
from odedelta.model.money import total


def test_sums_exactly_in_decimal() -> None:
    assert Money(Decimal("0.10"), "EUR") + Money(Decimal("0.20"), "EUR") == Money(Decimal("0.30"), "EUR")


def test_mixing_currencies_is_an_error_naming_both() -> None:
    with pytest.raises(CurrencyMismatch, match=r"10.00 EUR.*5.00 USD"):
        Money(Decimal("10"), "EUR") + Money(Decimal("5"), "USD")


def test_rounding_is_half_even_to_the_minor_unit() -> None:
    assert Money(Decimal("2.345"), "EUR").rounded().amount == Decimal("2.34")
    assert Money(Decimal("2.355"), "EUR").rounded().amount == Decimal("2.36")
    assert Money(Decimal("1234.5"), "JPY").rounded().amount == Decimal("1234")


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        Money(9.99, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(Decimal(1), "EUR") * 1.5  # type: ignore[operator]


def test_total_of_nothing_is_zero_in_that_currency() -> None:
    assert total([], "EUR") == Money(Decimal(0), "EUR")
    assert total([Money(Decimal("1.5"), "EUR")] * 3, "EUR").amount == Decimal("4.5")


@pytest.mark.parametrize(("currency", "amount", "expected"), [
    ("CLP", "1234.5", "1234"), ("XOF", "999.51", "1000"), ("VND", "20500.49", "20500"), ("ISK", "10.5", "10"),
    ("OMR", "1.2345", "1.234"), ("JOD", "1.2355", "1.236"), ("KWD", "0.0005", "0.000"), ("BHD", "3.14159", "3.142"),
    ("CLF", "1.234567", "1.2346"), ("EUR", "2.345", "2.34"),
])
def test_minor_units_follow_iso_4217(currency: str, amount: str, expected: str) -> None:
    # issue 11, defect 7: a hand list of five currencies rounded CLP, XOF, VND, ISK to cents and OMR, JOD to cents
    assert Money(Decimal(amount), currency).rounded().amount == Decimal(expected)
    assert str(Money(Decimal(amount), currency).rounded().amount) == expected


def test_minor_units_come_from_the_maintained_table() -> None:
    from iso4217 import Currency

    from odedelta.model.money import minor_units

    for currency in Currency:
        if currency.exponent is not None:
            assert minor_units(currency.code) == currency.exponent, currency.code
    assert minor_units("XAU") == 2 and minor_units("ZZZ") == 2  # no minor unit / not a currency: two places


def test_a_bill_entry_made_by_its_slots_is_the_one_its_constructor_makes() -> None:
    """ProductBill.of and .plus set the record's slots directly (the per-change path makes many): every field is
    set, to what the constructor would give, and the entry stays frozen."""
    from dataclasses import FrozenInstanceError, fields

    from odedelta.model.pricing import Base
    from odedelta.money.bill import ENTRY_FIELDS, Discount, ProductBill

    assert tuple(f.name for f in fields(ProductBill)) == ENTRY_FIELDS
    base = Base(Money(Decimal("20.00"), "EUR"), "catalog:po-a", Money(Decimal("16.50"), "EUR"), "pop-a")
    entry = ProductBill.of("P-1", "po-a", base)
    assert entry == ProductBill("P-1", "po-a", base.amount, "catalog:po-a", base.duty_free, "pop-a")
    assert (entry.discount_total, entry.net) == (Money(Decimal(0), "EUR"), Money(Decimal("20.00"), "EUR"))
    discount = Discount("P-1", "promotion:x", "X", Money(Decimal("20.00"), "EUR"))
    more = entry.plus(discount)
    assert more == ProductBill("P-1", "po-a", base.amount, "catalog:po-a", base.duty_free, "pop-a", [discount])
    assert (more.net, more.free, entry.discounts) == (Money(Decimal("0.00"), "EUR"), True, [])
    unpriced = ProductBill.of("P-2", "po-b", Base(None, "catalog:po-b"))
    assert (unpriced.net, unpriced.discount_total, unpriced.free) == (None, None, False)
    with pytest.raises(FrozenInstanceError):
        entry.basis = "x"  # type: ignore[misc]


def test_money_made_by_its_slots_is_the_one_its_constructor_makes() -> None:
    """Sums, differences, negations and roundings set Money's two slots directly (a change makes many): every
    field is set, the value equals and hashes as the constructor's, and it stays frozen."""
    from dataclasses import FrozenInstanceError, fields

    from odedelta.model.money import _made, rounded

    assert tuple(f.name for f in fields(Money)) == ("amount", "currency")
    a, b = Money(Decimal("10.005"), "EUR"), Money(Decimal("2.50"), "EUR")
    for made, expected in ((a + b, Decimal("12.505")), (a - b, Decimal("7.505")), (-b, Decimal("-2.50")),
                           (a.rounded(), Decimal("10.00")), (rounded(Decimal("10.015"), "EUR"), Decimal("10.02")),
                           (_made(Decimal("1.5"), "KWD"), Decimal("1.5"))):
        constructed = Money(expected, made.currency)
        assert made == constructed and hash(made) == hash(constructed) and str(made) == str(constructed)
        assert type(made.amount) is Decimal and made.amount.as_tuple() == expected.as_tuple()
        with pytest.raises(FrozenInstanceError):
            made.amount = Decimal(0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        rounded(1.5, "EUR")  # type: ignore[arg-type]


def test_zero_is_shared_per_iso_currency_and_made_for_any_other_code() -> None:
    assert Money.zero("EUR") is Money.zero("EUR") and Money.zero("EUR") == Money(Decimal(0), "EUR")
    assert Money.zero("ZZZ") == Money(Decimal(0), "ZZZ") and Money.zero("ZZZ") is not Money.zero("ZZZ")


def test_a_total_in_the_wrong_currency_names_the_sum_so_far() -> None:
    """total adds Decimals and makes one Money: the error is still the one adding Money by Money raises."""
    amounts = [Money(Decimal("1.10"), "EUR"), Money(Decimal("2.205"), "EUR"), Money(Decimal("5"), "USD")]
    with pytest.raises(CurrencyMismatch) as raised:
        total(amounts, "EUR")
    with pytest.raises(CurrencyMismatch) as by_hand:
        Money.zero("EUR") + amounts[0] + amounts[1] + amounts[2]
    assert str(raised.value) == str(by_hand.value) == (
        "cannot combine 3.30 EUR with 5.00 USD: currencies EUR and USD differ")
    assert total(amounts[:2], "EUR").amount.as_tuple() == Decimal("3.305").as_tuple()


def test_shown_writes_a_rounded_amount_as_formatting_it_would() -> None:
    """shown writes the rounded amount with str (cheaper): the same text format() gives, for every minor unit."""
    from odedelta.model.money import MINOR_UNITS, shown

    values = [Decimal(v) for v in ("0", "-0", "-0.004", "0.005", "1E+5", "1E-9", "123456789012345678.125",
                                   "-2.5", "999.995", "7E+2")]
    for currency in {*MINOR_UNITS, "ZZZ"}:
        for value in values:
            places = MINOR_UNITS.get(currency, 2)
            assert shown(value, currency) == f"{value.quantize(Decimal(1).scaleb(-places), 'ROUND_HALF_EVEN')} " \
                                             f"{currency}"


def test_entries_without_a_discount_share_one_read_only_list() -> None:
    """Every entry without a discount holds the same empty list (no list per product for the collector to visit);
    it is equal to ``[]``, refuses to change, and a discount makes the entry a list of its own."""
    from odedelta.model.pricing import Base
    from odedelta.money.bill import NO_DISCOUNTS, Discount, ProductBill

    base = Base(Money(Decimal("20.00"), "EUR"), "catalog:po-a", None, "pop-a")
    first, second = ProductBill.of("P-1", "po-a", base), ProductBill.of("P-2", "po-a", base)
    assert first.discounts is second.discounts is NO_DISCOUNTS
    assert first.discounts == [] and repr(first.discounts) == "[]"
    assert ProductBill("P-3", "po-a", base.amount, "catalog:po-a").discounts is NO_DISCOUNTS
    discount = Discount("P-1", "promotion:x", "X", Money(Decimal("5.00"), "EUR"))
    for change in (lambda d: d.append(discount), lambda d: d.extend([discount]), lambda d: d.insert(0, discount),
                   lambda d: d.__iadd__([discount]), lambda d: d.__setitem__(slice(None), [discount])):
        with pytest.raises(TypeError, match="read-only"):
            change(first.discounts)
    more = first.plus(discount)
    assert more.discounts == [discount] and type(more.discounts) is list
    assert (second.discounts, NO_DISCOUNTS) == ([], [])


def test_a_bill_makes_the_entries_with_a_discount_and_the_others_when_read(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    """``bill_of`` records each product's offering and base and makes only the entries something discounts (a
    standing reduction, a promotion); the others are made when read — the entry ``ProductBill.of`` makes — or read
    without being made (``net_of``, ``base_of``, ``offering_of``). ``priced``: the first bill of a change fills an
    empty table with its entries with standing reductions (each knowing its base); a later bill given the filled
    table reuses the entry of a product whose base and offering are the same, and adds nothing to the table."""
    import pickle
    from dataclasses import FrozenInstanceError, replace

    from odedelta.model.pricing import catalog_base
    from odedelta.model.requests import Context
    from odedelta.money.bill import Bill, ProductBill, bill_lines, bill_of

    from .helpers import AS_OF

    lines = list(bill_lines(demo, inventories["alice"].products, AS_OF)[0])
    plain = bill_of(demo, lines, Context(), AS_OF)
    promoted = {d.product_id for granted in plain.promotions.values() for d in granted}
    assert promoted and set(plain._made) == promoted  # only the discounted entries are made
    index = next(n for n, (pid, *_) in enumerate(lines) if pid not in promoted)
    reduced_id, offering, spec, base = lines[index]
    reduced = replace(base, alterations=(("catalog:pop-x", "X", "10%"),))
    lines[index] = (reduced_id, offering, spec, reduced)
    priced: dict[str, Any] = {}
    before = bill_of(demo, lines, Context(), AS_OF, priced)
    assert set(before._made) == promoted | {reduced_id}
    assert list(priced) == [reduced_id] and priced[reduced_id]._made_from is reduced
    assert [d.source for d in priced[reduced_id].discounts] == ["catalog:pop-x"]
    for pid, offering_id, _, line_base in lines:
        entry = before.entry(pid)
        assert entry is not None and before.products[pid] == entry
        assert (before.net_of(pid), before.base_of(pid), before.offering_of(pid)) == \
            (entry.net, entry.base, entry.offering_id)
        if pid not in before._made:
            assert entry == ProductBill.of(pid, offering_id or "", line_base)
    assert list(before.products) == [pid for pid, *_ in lines]
    assert (before.entry("X-9"), before.net_of("X-9"), before.base_of("X-9"), before.holds("X-9")) == \
        (None, None, None, False)
    assert before.net(before.product_ids) == [e.net for e in before.products.values() if e.net is not None]
    made = Bill(dict(before.products), before.promotions, before.attributions)
    assert made == before and repr(made) == repr(before) and pickle.loads(pickle.dumps(before)) == before
    with pytest.raises(FrozenInstanceError):
        before.promotions = {}  # type: ignore[misc]
    changed = next(pid for pid, *_ in lines if pid not in promoted and pid != reduced_id)
    other = next(o for o in demo.offerings if o != dict((p, o) for p, o, _, _ in lines)[changed])
    table = dict(priced)
    moved = [(pid, other, None, catalog_base(demo, other, AS_OF)) if pid == changed else line for line in lines
             for pid in (line[0],)]
    after = bill_of(demo, moved, Context(), AS_OF, table)
    assert table == priced  # read, not written
    assert after.entry(reduced_id) is priced[reduced_id]  # shared: the same base and offering
    assert after.offering_of(changed) == other and before.offering_of(changed) != other


def test_the_bill_of_products_is_the_bill_of_their_lines(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    """``bill_of_products`` reads each product once: the bill ``bill_of`` makes of ``bill_lines`` (entries in order,
    promotions, attributions), the same bases, and the entries with standing reductions ``bill_of`` records."""
    from odedelta.model.requests import Context
    from odedelta.money.bill import bill_lines, bill_of, bill_of_products

    from .helpers import AS_OF

    for name, inventory in inventories.items():
        for context in (Context(), Context(segment="residential")):
            lines, bases = bill_lines(demo, inventory.products, AS_OF)
            priced: dict[str, Any] = {}
            expected = bill_of(demo, lines, context, AS_OF, priced)
            made, made_bases, made_priced = bill_of_products(demo, inventory.products, context, AS_OF)
            assert list(made.products.items()) == list(expected.products.items()), name
            assert (made.promotions, made.attributions) == (expected.promotions, expected.attributions), name
            assert (list(made_bases.items()), made_priced) == (list(bases.items()), priced), name
    priced_inventories = [i for i in inventories.values() if any(p.product_price for p in i.products.values())]
    assert priced_inventories and any(bill_of_products(demo, i.products, Context(), AS_OF)[0].attributions
                                      or bill_of_products(demo, i.products, Context(), AS_OF)[2]
                                      for i in inventories.values())  # inventory prices read on the way


def test_the_bill_after_a_change_made_from_the_bill_before_is_the_bill_of_its_lines(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    """``bill_changed``: the bill before with the products a change touches priced again (one gone, one moved to
    another offering, one with a standing reduction kept, one with a new one, one added at the end) is the bill
    ``bill_of`` makes of the lines after the change — the same entries in the same order, promotions and
    attributions; the table of entries with standing reductions is only read."""
    from dataclasses import replace

    from odedelta.model.pricing import catalog_base
    from odedelta.model.requests import Context
    from odedelta.money.bill import bill_changed, bill_lines, bill_of

    from .helpers import AS_OF

    context = Context(segment="residential")
    compared = cuts = 0
    for name, inventory in inventories.items():
        lines = list(bill_lines(demo, inventory.products, AS_OF)[0])
        if len(lines) < 4:
            continue
        first_id, offering, spec, base = lines[0]
        lines[0] = (first_id, offering, spec, replace(base, alterations=(("catalog:pop-x", "X", "10%"),)))
        priced: dict[str, Any] = {}
        before = bill_of(demo, lines, context, AS_OF, priced)
        table = dict(priced)
        gone, moved, reduced = lines[1][0], lines[2][0], lines[3][0]
        other = next(o for o in demo.offerings if o != lines[2][1])
        added = lines[0][1]  # a second product of the first one's offering
        cut = replace(lines[3][3], alterations=(("catalog:pop-y", "Y", "1.00"),))
        changes = [(gone, None, None), (moved, other, catalog_base(demo, other, AS_OF)), (reduced, lines[3][1], cut),
                   (first_id, lines[0][1], lines[0][3]), ("NEW-1", added, catalog_base(demo, added, AS_OF))]
        after_lines = [(pid, other, None, catalog_base(demo, other, AS_OF)) if pid == moved
                       else (pid, o, s, cut) if pid == reduced else (pid, o, s, b)
                       for pid, o, s, b in lines if pid != gone]
        after_lines.append(("NEW-1", added, None, catalog_base(demo, added, AS_OF)))
        placed = [(pid, o, s) for pid, o, s, _ in after_lines]
        changed = bill_changed(demo, before, priced, changes, lambda placed=placed: placed, context, AS_OF)
        expected = bill_of(demo, after_lines, context, AS_OF)
        assert priced == table, name
        assert list(changed.products.items()) == list(expected.products.items()), name
        assert (changed.promotions, changed.attributions) == (expected.promotions, expected.attributions), name
        kept = changed.entry(first_id)
        assert kept is not None and kept.discounts[0] is priced[first_id].discounts[0]  # the same base: shared
        cuts += [d.source for d in changed.products[reduced].discounts][:1] == ["catalog:pop-y"]
        compared += 1
    assert compared and cuts  # some product priced again has a standing reduction


def test_a_discount_made_by_its_slots_and_running_sums_match_the_constructor_and_the_full_sum() -> None:
    """Promotions make their discounts by setting the record's slots, and ``plus`` carries the entry's sums forward
    (total + discount, base − total): the same discount the constructor makes, the same sums as adding every
    discount up again."""
    from dataclasses import FrozenInstanceError, fields

    from odedelta.model.pricing import Base
    from odedelta.money.bill import _DISCOUNT_FIELDS, Discount, ProductBill, _discount

    assert tuple(f.name for f in fields(Discount)) == _DISCOUNT_FIELDS
    made = _discount("P-1", "promotion:x", "X", Money(Decimal("2.50"), "EUR"), Decimal("12.5"))
    assert made == Discount("P-1", "promotion:x", "X", Money(Decimal("2.50"), "EUR"), Decimal("12.5"))
    base = Base(Money(Decimal("19.99"), "EUR"), "catalog:po-a", None, "pop-a")
    entry = ProductBill.of("P-1", "po-a", base)
    amounts = [Decimal("2.50"), Decimal("0.333"), Decimal("17.157")]
    for amount in amounts:
        entry = entry.plus(Discount("P-1", "promotion:x", "X", Money(amount, "EUR")))
    again = ProductBill("P-1", "po-a", base.amount, "catalog:po-a", None, "pop-a", list(entry.discounts))
    assert (entry.discount_total, entry.net) == (again.discount_total, again.net)
    assert str(entry.net.amount) == str(again.net.amount) == "0.000"  # type: ignore[union-attr]
    import pickle

    assert type(entry) is ProductBill and type(made) is Discount
    assert pickle.loads(pickle.dumps(entry)) == entry and pickle.loads(pickle.dumps(made)) == made
    with pytest.raises(FrozenInstanceError):
        made.name = "Y"  # type: ignore[misc]


def test_a_bill_of_lines_given_one_by_one_is_the_bill_of_the_list(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    """``bill_of`` reads its lines once: a generator gives the same bill (entries, promotions, order) as a list."""
    from odedelta.model.requests import Context
    from odedelta.money.bill import bill_lines, bill_of

    from .helpers import AS_OF

    for name, inventory in inventories.items():
        lines, _ = bill_lines(demo, inventory.products, AS_OF)
        listed = bill_of(demo, lines, Context(segment="residential"), AS_OF)
        one_by_one = bill_of(demo, iter(lines), Context(segment="residential"), AS_OF)
        assert list(one_by_one.products.items()) == list(listed.products.items()), name
        assert (one_by_one.promotions, one_by_one.attributions) == (listed.promotions, listed.attributions), name
    assert any(bill_of(demo, iter(bill_lines(demo, i.products, AS_OF)[0]), Context(), AS_OF).promotions
               for i in inventories.values())  # some promotion is judged and granted on the way


def test_discounts_granted_at_once_make_the_bill_granting_them_one_by_one_makes(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    """``with_discounts``: one copy of the bill for many discounts, the same entries, promotions and order as
    ``with_discount`` once per discount; the bill given is left as it was."""
    from odedelta.model.requests import Context
    from odedelta.money.bill import bill, discount_for, with_discount, with_discounts

    from .helpers import AS_OF

    before = bill(demo, inventories["alice"].products, Context(), AS_OF)
    kept = {pid: (entry, list(entry.discounts)) for pid, entry in before.products.items()}
    promotions = {grant: list(given) for grant, given in before.promotions.items()}
    granted = []
    for grant, value in (("rule:a", "10%"), (next(iter(before.promotions)), "1.00"), ("rule:a", "2.00")):
        for pid in before.products:
            found = discount_for(before.products[pid], grant, "test", value)
            if found is not None:
                granted.append((grant, found))
    one_by_one = before
    for grant, discount in granted:
        one_by_one = with_discount(one_by_one, grant, discount)
    at_once = with_discounts(before, granted)
    assert len(granted) > len(before.products)
    assert list(at_once.products.items()) == list(one_by_one.products.items())
    assert list(at_once.promotions.items()) == list(one_by_one.promotions.items())
    assert {pid: (entry, list(entry.discounts)) for pid, entry in before.products.items()} == kept
    assert before.promotions == promotions
    assert with_discounts(before, []) is before
