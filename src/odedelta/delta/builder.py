"""The delta: every product a request touches, with one action and the reasons for it.

Minimal disruption is the rule: an installed component whose specification lives on in the target (or that a
migration mapping says corresponds to a target component) is *matched* to it and kept — ``noChange`` or
``modify`` on the same product id — never deleted and added again. When several installed products compete for
fewer target slots, a maximum-weight bipartite matching decides which are kept (:mod:`odedelta.model.graph`), preferring
to keep as many as possible, then the closest fits, then the oldest.

What each situation yields is the table :data:`OUTCOMES`; the special cases live beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

from odedelta.delta.items import (
    Action,
    Amendment,
    CharacteristicChange,
    Delta,
    DeltaItem,
    Drop,
    Migration,
    Reason,
    Recommit,
    Refused,
    TakePlace,
    made_item,
)
from odedelta.model.catalog import REMEMBERED_TEXT, Catalog, value_key
from odedelta.model.compiled import MIGRATION, SAME_OFFERING, TABLE_SIZE, CompiledCatalog, compiled
from odedelta.model.errors import RequestError, did_you_mean
from odedelta.model.graph import Component, max_weight_assignment
from odedelta.model.inventory import Inventory
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
from odedelta.model.tmf import Characteristic, Product

# situation → (action, reason code). Everything that decides an action lives here.
OUTCOMES: dict[str, tuple[Action, str]] = {
    "requested_change": (Action.MODIFY, "requested"),
    "requested_change_same": (Action.NO_CHANGE, "requested"),
    "matched_same": (Action.NO_CHANGE, "kept"),
    "matched_changed": (Action.MODIFY, "offering_changed"),
    "matched_characteristics": (Action.MODIFY, "characteristic_changed"),
    "no_slot": (Action.DELETE, "not_in_target"),
    "slot_full": (Action.DELETE, "cardinality_exceeded"),
    "under_deleted": (Action.DELETE, "parent_deleted"),
    "requested_delete": (Action.DELETE, "requested"),
    "mandatory": (Action.ADD, "mandatory_in_target"),
    "chosen": (Action.ADD, "requested"),
    "adopting": (Action.ADD, "restructured"),
    "requested_add": (Action.ADD, "requested"),
    "context": (Action.NO_CHANGE, "context"),
}
_DELETE, _NO_CHANGE = Action.DELETE, Action.NO_CHANGE
"""The same members under module names, for the per-item checks (on Python 3.11 reading a member through its enum
class is a lookup several times the cost of a global)."""
_NO_CHANGES: tuple[CharacteristicChange, ...] = ()
_NONE: dict[str, Any] = {}
"""No characteristic chosen (read only: never changed)."""
_REASONS = "delta.reasons"
"""The compiled catalog's table of the delta's reasons (:meth:`DeltaBuilder._reason`)."""
_FATES = "delta.fates"
"""The compiled catalog's table of what the slots of an offering do with an installed leaf of a kind
(:meth:`DeltaBuilder._fate`)."""
_RULED_FATES = "delta.fates by migration rules"
"""The compiled catalog's fates (:data:`_FATES`) under migration rules: a table for each tuple of the rules a change
takes part with (in their order: the first rule that allows a migration is the one an item names)."""
_CARRIED = "delta.carried"
"""The compiled catalog's table of characteristic values carried into a target offering
(:meth:`DeltaBuilder._carry_characteristics`)."""
_EXACT = frozenset({str, int, bool, type(None)})
"""The value types whose equal values are written alike (not ``1.0`` and ``1``, ``-0.0`` and ``0.0``…)."""


class _Fate(NamedTuple):
    """What the slots of an offering do with an installed leaf of one kind, by the catalog's word
    (:meth:`DeltaBuilder._fate`)."""

    slot: Component | None
    """The slot it fills (None: none)."""
    fit: int
    """How well it fills it (:meth:`DeltaBuilder._fit`)."""
    source: str | None
    """The source of its reasons in that slot."""
    deep: bool
    """Whether it fits somewhere beneath one of the slots' offerings (which may take it in when it is left out)."""
    kept: tuple[Action, tuple[str, str | None, str, str | None], str | None, str | None] | None
    """Its item when its values stay as they are (action, the key of its reason (:meth:`DeltaBuilder._reason`),
    previous offering, specification), as :meth:`DeltaBuilder._migrate` makes it; None when the slot's offering
    bundles others (what it would hold is placed)."""


_CONTESTED = _Fate(None, 0, "contested", False, None)
"""The fate of a kind that could fill several slots of an offering: the matching decides (compared by identity)."""
# A renewal is a modify with reason "renewed" (DeltaBuilder._renew); its new term is the engine's (renewal.py).
# Match quality, how well an installed product fits a target slot (0: it cannot fill it), is the catalog's
# answer in its compiled tables (odedelta.model.compiled.kinship), or a migration a rule of the change allows.


def build(catalog: Catalog, inventory: Inventory, request: Request, as_of: datetime,
          migrations: Sequence[Migration] = ()) -> Delta | Refused:
    """The delta stage: the delta of ``request``, or why the catalog's structure does not allow it (a value).
    ``migrations``: the migration rules that apply (installed products they name may become their targets)."""
    return DeltaBuilder(catalog, inventory, as_of, migrations).build(request)


def amend(catalog: Catalog, inventory: Inventory, delta: Delta, amendments: Iterable[Amendment]) -> Delta | Refused:
    """A new delta: ``delta`` with what a later stage asks of it (``amendments``) applied in order, by the rules
    it was built with (the same catalog, inventory, request and migration rules). ``delta`` is not changed."""
    return DeltaBuilder(catalog, inventory, delta.as_of, delta.migrations).amend(delta, amendments)



def _revised(item: DeltaItem, **changes: Any) -> DeltaItem:
    """``item`` with some fields changed, as a new item (an amendment, a renumbering after re-homing: rare)."""
    return replace(item, **changes)


_HANDLERS = {"change_offer": "_change_offer", "add": "_add", "remove": "_remove", "modify": "_modify",
             "terminate": "_terminate", "acquire": "_acquire", "renew": "_renew"}
"""Request kind → the builder's method for it."""


class _State(NamedTuple):
    items: list[DeltaItem]
    new_ids: int
    root: str | None
    elsewhere: frozenset[str]


class DeltaBuilder:
    """Builds the delta of one request. Pure: reads the catalog and inventory, returns items."""

    def __init__(self, catalog: Catalog, inventory: Inventory, as_of: datetime,
                 migrations: Sequence[Migration] = ()) -> None:
        self.catalog = catalog
        self._tables = compiled(catalog)
        self.inventory = inventory
        self._links = inventory.graph
        if len(inventory.graph.kinds) != len(inventory.products):  # made by hand: its tree unknown, answers wrong
            raise RequestError(f"the inventory's {len(inventory.products)} products have no tree (an Inventory made "
                               "directly): build it with Inventory.from_products(catalog, products) or a loader")
        self._kinds = inventory.graph.kinds
        """Product id → its ``(offering, specification)``: read here rather than through each product's references
        (every Product the builder handles is one of the inventory's, whose graph holds both)."""
        self.as_of = as_of
        self.migrations = tuple(migrations)
        self.items: list[DeltaItem] = []
        """The items so far, in order: values from the start (an item the build revises is replaced in the list,
        never changed; most never are, and a change of 10,000 lines makes 10,000 objects, not twice as many)."""
        self._new_ids = 0
        self._shuffled = False
        """Whether a trial took items out or put earlier ones back (:meth:`_move`, :meth:`_restore`), or the items
        are a given delta's: only then may they need :meth:`_renumber`. Else each was appended with the next
        number, and each new product with the next id."""
        self._choices: Mapping[str, Mapping[str, Any]] = {}
        self._root: str | None = None
        """The product the request is about (it changes when re-homing puts an installed product in its place)."""
        self._elsewhere: set[str] = set()
        """Installed products placed away from their installed parent: not candidates beneath it."""
        self._beneath: dict[tuple[str | None, str | None, str], bool] = {}
        self._fits: dict[tuple[str | None, str | None, str], int] = {}
        self._said: dict[tuple[str, str | None, str, str | None], tuple[Reason]] = self._tables.table(_REASONS)
        """The reasons made for this catalog, by code, installed offering, target and source (:meth:`_reason`)."""
        self._fates: dict[tuple[str, tuple[str | None, str | None]], _Fate] = (
            self._ruled_fates() if self.migrations else self._tables.table(_FATES))
        """Each installed kind's fate in the slots of an offering, for this catalog (:meth:`_fate`) — and this
        change's migration rules when it has some: a table shared by the changes with the same rules (a campaign's
        customers, most often), as the answers read nothing else."""
        self._carried: dict[tuple[Any, ...], tuple[dict[str, Any], tuple[CharacteristicChange, ...], bool]] = (
            self._tables.table(_CARRIED))
        """Characteristic values under a target offering, for this catalog (:meth:`_carry_characteristics`)."""
        self._carried_here: dict[tuple[Any, ...], tuple[dict[str, Any], tuple[CharacteristicChange, ...], bool]] = {}
        """The same answers as this change's items hold them: one copy of the catalog's values per kind of value,
        shared by the items that have them (an account's lines, most of them alike: not a dictionary a line)."""
        self._refused: str | None = None
        """Why the catalog's structure does not allow the request as asked: the first refusal met (an expected
        outcome, returned as a :class:`Refused` value; the work goes on only to reach the end of the step)."""

    # ------------------------------------------------------------------ entry point
    def build(self, request: Request) -> Delta | Refused:
        """The delta of ``request``, or why the catalog's structure does not allow it (a :class:`Refused`).
        Raises :class:`RequestError` only for a request that names what does not exist."""
        self._refused = None
        handler: Callable[[Any], tuple[str | None, str | None]] = getattr(self, _HANDLERS[request.kind])
        self._root, target = handler(request)
        if self._refused is not None:
            return Refused(self._refused)
        if request.kind == "change_offer":
            self._rehome(request.to)
        if self._refused is not None:
            return Refused(self._refused)
        renamed = self._renumber()
        root = renamed.get(self._root, self._root) if self._root is not None else None
        return Delta(tuple(self.items), request, self.as_of, root, target, self.migrations)

    def _change_offer(self, request: ChangeOffer) -> tuple[str, str]:
        product = self._installed(request.product)
        self._known_offering(request.to)
        if not self._must_be_sellable(request.to):
            return product.id, request.to
        self._choices = self._checked_choices(request.set)
        parent = self._links.parent(product.id)
        if parent is not None:
            if not self._must_fit_parent(parent, product.id, request.to):
                return product.id, request.to
        elif not self._becomes(product, request.to):
            ways: list[Callable[[], str]] = []
            if self._fits_beneath(product, request.to):
                ways.append(lambda: self._wrap(product, request))
            path = self._path_to(product, request.to)
            if path:
                ways.append(lambda: self._unwrap(path, request))
            if ways:
                return self._least_disruptive(ways, request.to), request.to
        situation = "requested_change" if product.offering_id != request.to else "requested_change_same"
        self._migrate(product, request.to, parent, situation, options=request.options)
        return product.id, request.to

    def _path_to(self, product: Product, target: str) -> list[Product]:
        """The path from ``product`` down to its first component (breadth first) that fits ``target`` itself."""
        queue: list[list[Product]] = [[product]]
        while queue:
            path = queue.pop(0)
            for child in self._children(path[-1]):
                if self._becomes(child, target):
                    return [*path, child]
                queue.append([*path, child])
        return []

    def _least_disruptive(self, ways: list[Callable[[], str]], target: str) -> str:
        """Build each way of restructuring and keep the one that deletes the fewest installed products, then adds
        the fewest (the first on a tie). Returns the root product of the way kept; when no way can be built, the
        first way's refusal is the answer (or its error, for a request naming what does not exist)."""
        built: list[tuple[tuple[int, int], _State]] = []
        first: RequestError | str | None = None
        for way in ways:
            self._restore(_State([], 0, None, frozenset()))
            self._refused = None
            try:
                self._root = way()
            except RequestError as exc:
                first = first or exc
                continue
            if self._refused is not None:
                first, self._refused = first or self._refused, None
                continue
            self._rehome(target)
            if self._refused is not None:  # refused while re-homing: that is the answer
                return self._root or ""
            built.append((self._disruption(), self._save()))
        if not built:
            if isinstance(first, RequestError):
                raise first
            assert first is not None
            self._refuse(first)
            return self._root or ""
        self._restore(min(built, key=lambda b: b[0])[1])
        assert self._root is not None
        return self._root

    def _wrap(self, product: Product, request: ChangeOffer) -> str:
        """The installed product becomes a component of a new product of the target (a plan moved into a pack)."""
        return self._instantiate(request.to, None, "requested_add",
                                 f"{self._tables.name(request.to)} is taken as requested; {product.id} "
                                 f"({self._tables.name(product.offering_id)}) becomes part of it",
                                 options=request.options, adopted=[product])

    def _unwrap(self, path: list[Product], request: ChangeOffer) -> str:
        """The pack is left for one of its parts: the part becomes the product of its own, the bundles around it
        are dissolved and what they held is placed in the target where it fits."""
        *around, core = path
        candidates = self._children(core)
        for depth, bundle in enumerate(around):
            self._emit(Action.DELETE, bundle.id, bundle.offering_id or "", self._links.parent(bundle.id),
                       bundle.characteristics(), (),
                       [Reason("restructured", f"{self._tables.name(bundle.offering_id)} is left: {core.id} "
                               f"({self._tables.name(core.offering_id)}) continues on its own as "
                               f"{self._tables.name(request.to)}",
                               "request")], previous=None)
            candidates += [c for c in self._children(bundle) if c.id != path[depth + 1].id]
        self._migrate(core, request.to, None, "requested_change", options=request.options, candidates=candidates)
        return core.id

    def _add(self, request: AddOffering) -> tuple[str | None, str]:
        self._known_offering(request.offering)
        if not self._must_be_sellable(request.offering):
            return request.parent, request.offering
        self._choices = self._checked_choices(request.set)
        if request.parent is not None:
            parent = self._installed(request.parent)
            if not self._must_fit_parent(parent.id, None, request.offering):
                return request.parent, request.offering
            self._emit_context(parent)
        self._instantiate(request.offering, request.parent, "requested_add",
                          f"{self._tables.name(request.offering)} is added as requested")
        return request.parent, request.offering

    def _remove(self, request: RemoveProduct) -> tuple[str, None]:
        product = self._installed(request.product)
        parent = self._links.parent(product.id)
        if parent is not None and not self._must_allow_one_less(parent, product):
            return product.id, None
        self._delete_tree(product.id, "requested_delete", "removed as requested")
        return product.id, None

    def _terminate(self, request: TerminateProduct) -> tuple[str, None]:
        product = self._installed(request.product)
        parent = self._links.parent(product.id)
        if parent is not None and not self._must_allow_one_less(parent, product):
            return product.id, None
        self._delete_tree(product.id, "requested_delete", "terminated as requested")
        return product.id, None

    def _modify(self, request: ModifyCharacteristics) -> tuple[str, str]:
        product = self._installed(request.product)
        offering = product.offering_id or ""
        self._choices = self._checked_choices({product.id: request.characteristics})
        characteristics, changes, checked = self._carry_characteristics(product, offering)
        action = Action.MODIFY if changes else Action.NO_CHANGE
        reasons = [Reason("requested", "characteristics changed as requested", "request")]
        reasons += [Reason("characteristic_changed", _change_sentence(c), "request") for c in changes]
        self._emit(action, product.id, offering, self._links.parent(product.id), characteristics, changes,
                   reasons, previous=None, checked=checked)
        return product.id, offering

    def _renew(self, request: Renew) -> tuple[str, str]:
        """The structural half of a renewal: the product is modified (its new term is set by the engine)."""
        product = self._installed(request.product)
        offering = product.offering_id or ""
        self._emit(Action.MODIFY, product.id, offering, self._links.parent(product.id), product.characteristics(),
                   (), [Reason("renewed", f"{self._tables.name(offering)}: the commitment is renewed as requested",
                               "request")], previous=None)
        return product.id, offering

    def _acquire(self, request: Acquire) -> tuple[None, str]:
        self._known_offering(request.offering)
        if not self._must_be_sellable(request.offering):
            return None, request.offering
        self._choices = self._checked_choices(request.set)
        self._instantiate(request.offering, None, "requested_add",
                          f"{self._tables.name(request.offering)} is acquired as requested", options=request.options)
        return None, request.offering

    # ------------------------------------------------------------------ the migration of a tree
    def _migrate(self, product: Product, target: str, parent: str | None, situation: str,
                 options: Iterable[str] = (), slot_source: str | None = None,
                 candidates: list[Product] | None = None, settled: bool = False,
                 carried: tuple[dict[str, Any], Sequence[CharacteristicChange], bool] | None = None) -> None:
        """Emit the item of an installed product that becomes (or stays) ``target``, then place what it bundles
        (``candidates``: its own children unless a restructuring hands it others). ``slot_source``: what keeps it
        in its slot (the bundle offering, or the relationship or rule that lets it become the slot's offering),
        the source of its reasons. ``settled``: the caller knows the product is a leaf of the inventory that stays
        under its installed ``parent`` (:meth:`_place_leaves`), so neither is asked again; ``carried``: its
        :meth:`_carry_characteristics` into ``target``, when the caller has it."""
        characteristics, changes, checked = carried or self._carry_characteristics(product, target)
        offering = self._kinds[product.id][0]  # read once: an account's lines each pass here
        offering_changed = offering != target
        if situation == "matched":
            situation = ("matched_changed" if offering_changed else
                         "matched_characteristics" if changes else "matched_same")
        action, code = OUTCOMES[situation]
        reasons: Sequence[Reason] = self._reason(code, offering, target, slot_source)
        renamed = offering_changed and code != "offering_changed"
        moved = not settled and parent != self._links.parent(product.id)
        if renamed or changes or moved:  # else the one reason, as a tuple shared by the items that have it
            reasons = [*reasons]
            if renamed:  # source: catalog:<target>
                reasons += self._reason("offering_changed", offering, target, None)
            reasons += [Reason("characteristic_changed", _change_sentence(c), f"catalog:{target}") for c in changes]
            if moved:
                where = f"moves under {parent}" if parent else "becomes a product of its own"
                reasons.append(Reason("moved", f"{where} ({self._tables.name(target)} sits there in the target)",
                                      slot_source or f"catalog:{target}"))
        if action is _NO_CHANGE and (changes or moved):
            action = Action.MODIFY
        self._emit(action, product.id, target, parent, characteristics, changes, reasons,
                   previous=offering if offering_changed else None, checked=checked)
        if candidates is not None:
            self._populate(product.id, target, candidates, options, fresh=False)
            return
        if not options and (settled or not self._links.children_of(product.id)) and not self._tables.slots(target):
            return  # a leaf that stays one: nothing to place (most lines of an account)
        self._populate(product.id, target, self._children(product), options, fresh=False, own=True)

    def _reason(self, code: str, offering: str | None, target: str,
                slot_source: str | None) -> tuple[Reason]:
        """The reason an installed product of ``offering`` that becomes ``target`` gets for ``code``, as a 1-tuple:
        words of the catalog alone, made once per catalog for each such kind of product and shared by the items
        that have it (values: an account of 10,000 lines holds one, not 10,000 reasons and 20,000 lists and tuples
        for the collector to walk)."""
        key = (code, offering, target, slot_source)
        try:
            return self._said[key]
        except KeyError:
            return self._keep(key, (Reason(code, self._sentence(code, offering, target),
                                           self._source(code, target, slot_source)),))

    def _keep(self, key: tuple[str, str | None, str, str | None], said: tuple[Reason]) -> tuple[Reason]:
        """Keep reasons in the catalog's words (:meth:`_reason`) in their table, bounded: kinds of product come
        from inventories."""
        table = self._said
        if len(table) >= TABLE_SIZE:
            table.clear()
        table[key] = said
        return said

    def _populate(self, product_id: str, offering: str, candidates: list[Product], options: Iterable[str],
                  fresh: bool, own: bool = False) -> None:
        """Place installed ``candidates`` into the component slots of ``offering`` under ``product_id``.

        1. match candidates to slots (:meth:`_match`);
        2. *dissolve* an unmatched installed bundle whose own components fit here: it is deleted and its
           components become candidates (a pack left for one of its parts);
        3. *build* a target bundle slot that can adopt unmatched candidates beneath it: a new product whose
           components they become (a plan moved into a pack);
        4. add what the slots require (lower limit; a new product gets the default count) and the chosen
           options; delete what is left, with the reason.

        ``own``: the candidates are the installed children of ``product_id`` (then, most often, the catalog's
        word alone places them: :meth:`_place_leaves`).
        """
        slots = self._tables.slots(offering)
        if not slots and not candidates and not options:  # a leaf: nothing to place (most lines of an account)
            return
        if own and not fresh and not options and self._place_leaves(product_id, offering, candidates, slots):
            return
        candidates, assignment, dissolved = self._assign(offering, list(candidates), slots)
        for bundle in dissolved:
            self._emit(Action.DELETE, bundle.id, bundle.offering_id or "", self._links.parent(bundle.id),
                       bundle.characteristics(), (),
                       [Reason("restructured", f"{self._tables.name(bundle.offering_id)} is not part of "
                               f"{self._tables.name(offering)}; what it held is kept where the target has a place "
                               "for it",
                               f"catalog:{offering}")], previous=None)
        loose = [c for c in candidates if c.id not in assignment]
        # only a loose product that fits somewhere beneath the offering can be taken in by one of its slots (most
        # often none: what is left is deleted)
        placeable = bool(loose) and any(self._fits_beneath(c, offering) for c in loose)
        adopted = self._adoptions(candidates, assignment, slots, loose) if placeable else {}
        taken = {c.id for takers in adopted.values() for c in takers}  # ids: one product per id in an inventory
        loose = [c for c in loose if c.id not in taken]
        have = self._keep_matched(product_id, offering, candidates, assignment, slots, adopted)
        chosen = list(options)
        takers = loose if placeable else []
        for slot in slots:
            if takers or chosen or fresh or have[slot.slot] < slot.lower:  # else the slot is complete as it is
                self._fill_slot(product_id, offering, slot, have, takers, chosen, fresh)
        if chosen:
            self._refuse_leftover_options(chosen, offering, slots)
        home = f"catalog:{offering}"
        for candidate in loose:
            situation = "slot_full" if self._placements(candidate, offering, slots) else "no_slot"
            said = self._homeless(situation, self._kinds[candidate.id][0], offering)
            self._delete_tree(candidate.id, situation, said[0].message, source=home, said=said)

    def _homeless(self, situation: str, own: str | None, offering: str) -> tuple[Reason]:
        """The reason an installed product of ``own`` the slots of ``offering`` leave out is deleted for
        (``situation``: ``slot_full`` or ``no_slot``), in the catalog's words: made once per catalog."""
        home = f"catalog:{offering}"
        key = (situation, own, offering, home)  # a situation's name is no reason code: no key of _reason's
        said = self._said.get(key)
        if said is None:
            why = (f"{self._tables.name(offering)} allows fewer {self._tables.name(own)} than installed"
                   if situation == "slot_full" else
                   f"{self._tables.name(offering)} has no place for {self._tables.name(own)}")
            said = self._keep(key, (Reason(OUTCOMES[situation][1], why, home),))
        return said

    def _place_leaves(self, product_id: str, offering: str, candidates: list[Product],
                      slots: Sequence[Component]) -> bool:
        """:meth:`_populate` for its most frequent case (no option, an installed product's own children): every
        candidate is a leaf of the inventory and can fill at most one slot, and nothing left out fits beneath a
        slot's offering. Then the matching keeps each candidate in the slot its kind can fill, in order — a slot
        with more candidates than room keeping its best, weighed as :meth:`_match` weighs them — and nothing is
        dissolved, lifted or adopted: each kind's fate (:meth:`_fate`) is worked out once, and a candidate whose
        values stay as they are is one item made from it. Returns False, having emitted nothing, when the case is
        not this one (the general placement decides)."""
        bundling = self._links.bundling()
        kinds = self._kinds
        seen: dict[tuple[str | None, str | None], _Fate] = {}
        fates: list[_Fate] = []
        have = {slot.slot: 0 for slot in slots}
        loose = False
        for candidate in candidates:
            cid = candidate.id
            if cid in bundling:  # it bundles products: dissolving or lifting may apply
                return False
            kind = kinds[cid]
            fate = seen.get(kind)
            if fate is None:
                fate = seen[kind] = self._fate(candidate, kind, offering, slots)
            if fate is _CONTESTED:
                return False
            slot = fate[0]
            if slot is None:
                loose = True
            else:
                have[slot.slot] += 1
            fates.append(fate)
        lost: set[int] = set()  # the candidates a full slot leaves out (by position)
        for slot in slots:
            if slot.upper is not None and have[slot.slot] > slot.upper:
                lost.update(self._left_out(slot, candidates, fates))
                have[slot.slot] = slot.upper
                loose = True
        if loose and any(fate.deep for n, fate in enumerate(fates) if fate.slot is None or n in lost):
            return False  # a slot's offering may take in a product left out (adopting it, or a new bundle)
        items, carry, said = self.items, self._carry_characteristics, self._said
        for n, (candidate, (slot, _, source, _, kept)) in enumerate(zip(candidates, fates, strict=True)):
            if slot is None or n in lost:
                continue
            target = slot.offering_id
            carried = characteristics, changes, checked = carry(candidate, target)
            if kept is not None and checked and not changes:  # _migrate's item, as the fate already knows it
                action, why, previous, spec = kept
                reasons = said.get(why) or self._reason(*why)  # the reason's table stays the one that holds them
                items.append(made_item(str(len(items) + 1), action, candidate.id, target, spec, product_id,
                                       previous, characteristics, (), reasons, True, None))
            else:
                self._migrate(candidate, target, product_id, "matched", slot_source=source, settled=True,
                              carried=carried)
        for slot in slots:
            if have[slot.slot] < slot.lower:
                self._fill_slot(product_id, offering, slot, have, [], [], False)
        if loose:
            for n, (candidate, fate) in enumerate(zip(candidates, fates, strict=True)):
                if fate.slot is None or n in lost:
                    own = kinds[candidate.id][0]
                    situation = "no_slot" if fate.slot is None else "slot_full"
                    self._emit(_DELETE, candidate.id, own or "", product_id, candidate.characteristics(), (),
                               self._homeless(situation, own, offering), previous=None)
        return True

    def _left_out(self, slot: Component, candidates: list[Product], fates: list[_Fate]) -> list[int]:
        """The positions of the candidates ``slot`` (a slot with an upper limit) has no room for: it keeps its
        best, as :meth:`_match` weighs them (fit, then values the slot's offering allows, then age)."""
        weight = _Weights(self._tables, candidates)
        members = [n for n, fate in enumerate(fates) if fate.slot is not None and fate.slot.slot == slot.slot]

        def worth(n: int) -> tuple[int, int]:
            cid = candidates[n].id
            return -weight(cid, (slot, fates[n].fit)), weight.rank[cid]

        return sorted(members, key=worth)[slot.upper or 0:]

    def _ruled_fates(self) -> dict[tuple[str, tuple[str | None, str | None]], _Fate]:
        """The catalog's table of fates under this change's migration rules (made on first use; the tables of at
        most :data:`TABLE_SIZE` tuples of rules are kept, each of at most as many fates: see :meth:`_fate`)."""
        by_rules: dict[tuple[Migration, ...], dict[tuple[str, tuple[str | None, str | None]], _Fate]] = (
            self._tables.table(_RULED_FATES))
        found = by_rules.get(self.migrations)
        if found is None:
            if len(by_rules) >= TABLE_SIZE:
                by_rules.clear()
            found = by_rules[self.migrations] = {}
        return found

    def _fate(self, product: Product, kind: tuple[str | None, str | None], offering: str,
              slots: Sequence[Component]) -> _Fate:
        """What the slots of ``offering`` (``slots``) do with an installed leaf of ``kind`` (offering,
        specification; ``product`` is one), as :meth:`_match`, :meth:`_keep_matched` and :meth:`_migrate` decide
        it (:class:`_Fate`; :data:`_CONTESTED` when it could fill several slots: the matching decides). Their
        questions read a product's kind only: the answer is the catalog's, made once per catalog — or, when
        migration rules take part, once per catalog and tuple of rules."""
        key = (offering, kind)
        fates = self._fates
        found = fates.get(key)
        if found is not None:
            return found
        own, spec = kind
        places = self._placements(product, offering, slots)
        deep = any(self._fits_beneath(product, slot.offering_id) for slot in slots)
        if len(places) > 1:
            found = _CONTESTED
        elif places:
            slot, fit = places[0]
            target = slot.offering_id
            mapped = own != target and self._kin(own, spec, target) == MIGRATION
            source = (self._mapping_source(product, target) if mapped else None) or f"catalog:{offering}"
            kept = None
            if not self._tables.slots(target):  # _migrate for a "matched" leaf that stays under its parent
                changed = own != target
                action, code = OUTCOMES["matched_changed" if changed else "matched_same"]
                if not changed or code == "offering_changed":  # one reason (else _migrate adds another)
                    kept = (action, (code, own, target, source), own if changed else None, self._tables.spec(target))
            found = _Fate(slot, fit, source, deep, kept)
        else:
            found = _Fate(None, 0, None, deep, None)
        if len(fates) >= TABLE_SIZE:
            fates.clear()
        fates[key] = found
        return found

    def _assign(self, offering: str, candidates: list[Product],
                slots: Sequence[Component]) -> tuple[list[Product], dict[str, Component], list[Product]]:
        """Match ``candidates`` to the slots of ``offering``, dissolving unmatched bundles whose components fit
        here and lifting what a matched product's target has no place for, until nothing more moves. Returns the
        candidates, the assignment and the bundles dissolved."""
        dissolved: list[Product] = []
        while True:
            assignment = self._match(candidates, offering, slots)
            children_of = self._links.children_of  # most candidates are leaves: neither opened nor lifting
            opened = [c for c in candidates if c.id not in assignment and children_of(c.id) and self._children(c)
                      and any(self._fits_beneath(g, offering) for g in self._children(c))]
            lifted = [stray for c in candidates if c.id in assignment and children_of(c.id)
                      for stray in self._strays(c, assignment[c.id].offering_id, offering)]
            if not opened and not lifted:
                return candidates, assignment, dissolved
            for bundle in opened:
                candidates.remove(bundle)
                dissolved.append(bundle)
                candidates.extend(self._children(bundle))
            self._elsewhere.update(stray.id for stray in lifted)
            candidates.extend(lifted)

    def _adoptions(self, candidates: list[Product], assignment: Mapping[str, Component], slots: Sequence[Component],
                   loose: list[Product]) -> dict[str, list[Product]]:
        """A kept product of a slot takes in the loose products that belong beneath it: ``holder id → takers``
        (each loose product to the first slot's holder that can take it)."""
        adopted: dict[str, list[Product]] = {}
        for slot in slots:
            holder = next((c for c in candidates if assignment.get(c.id) is slot), None)
            if holder is None:
                continue
            takers = [c for c in loose if self._fits_beneath(c, slot.offering_id)]
            if takers:
                adopted[holder.id] = takers
                taken = {c.id for c in takers}
                loose = [c for c in loose if c.id not in taken]
        return adopted

    def _keep_matched(self, product_id: str, offering: str, candidates: list[Product],
                      assignment: Mapping[str, Component], slots: Sequence[Component],
                      adopted: Mapping[str, list[Product]]) -> dict[int, int]:
        """Emit each matched candidate as kept in its slot (with what it adopts); returns how many each slot
        holds."""
        have = {slot.slot: 0 for slot in slots}
        bundle, kinds = f"catalog:{offering}", self._kinds
        sources: dict[tuple[tuple[str | None, str | None], str], str] = {}  # per kind of product and slot
        for candidate in candidates:
            assigned = assignment.get(candidate.id)
            if assigned is None:
                continue
            have[assigned.slot] += 1
            target = assigned.offering_id
            kind = kinds[candidate.id]
            source = sources.get((kind, target))
            if source is None:
                # matched to another offering's slot: its own offering has none here (the matching keeps a product
                # in its own offering's slot), so how well it fits is how well it becomes that offering
                own, spec = kind
                mapped = own != target and self._kin(own, spec, target) == MIGRATION
                source = sources[(kind, target)] = (
                    (self._mapping_source(candidate, target) if mapped else None) or bundle)
            extra = adopted.get(candidate.id) if adopted else None
            self._migrate(candidate, target, product_id, "matched", slot_source=source,
                          candidates=self._children(candidate) + extra if extra else None)
        return have

    def _fill_slot(self, product_id: str, offering: str, slot: Component, have: dict[int, int],
                   loose: list[Product], chosen: list[str], fresh: bool) -> None:
        """Complete one slot: a new bundle for loose products that belong beneath it (when it has room), what its
        lower limit (or, new, its default count) requires, and the option chosen in it. ``have``, ``loose`` and
        ``chosen`` are updated."""
        room = None if slot.upper is None else slot.upper - have[slot.slot]
        takers = [c for c in loose if self._fits_beneath(c, slot.offering_id)] if loose else []
        if takers and (room is None or room > 0):
            for taker in takers:
                loose.remove(taker)
            self._instantiate(slot.offering_id, product_id, "mandatory" if slot.lower else "adopting",
                              f"{self._tables.name(offering)} holds {self._tables.name(slot.offering_id)}, "
                              "where "
                              f"{', '.join(t.id for t in takers)} now belong", source=f"catalog:{offering}",
                              adopted=takers)
            have[slot.slot] += 1
        need = max(slot.lower, slot.default) - have[slot.slot] if fresh or have[slot.slot] < slot.lower else 0
        if need > 0:
            why = (f"{self._tables.name(offering)} requires {self._tables.name(slot.offering_id)}"
                   if slot.lower else
                   f"{self._tables.name(offering)} includes {self._tables.name(slot.offering_id)} by default")
            for _ in range(need):
                self._instantiate(slot.offering_id, product_id, "mandatory", why, source=f"catalog:{offering}")
                have[slot.slot] += 1
        if slot.offering_id in chosen:
            chosen.remove(slot.offering_id)
            if have[slot.slot] == 0:  # an option already there is simply kept
                self._instantiate(slot.offering_id, product_id, "chosen",
                                  f"{self._tables.name(slot.offering_id)} is added as chosen")
                have[slot.slot] += 1

    def _children(self, product: Product) -> list[Product]:
        kids = self._links.children_of(product.id)
        if not kids:  # a leaf
            return []
        products, elsewhere = self.inventory.products, self._elsewhere
        if not elsewhere:
            return [products[c] for c in kids]
        return [products[c] for c in kids if c not in elsewhere]

    # ------------------------------------------------------------------ across levels
    def _rehome(self, target: str) -> None:
        """Keep what the bundle-by-bundle placement gave up when the target tree has a place for it elsewhere.

        Placement works one bundle at a time, so a component whose new parent has no place for it is deleted (or,
        a bundle, dissolved) even when the target holds its kind under another bundle — a specification used at
        two nesting levels. Such a product takes the place of a new product of its kind (which is then not added:
        no specification is deleted and added again), else fills free room in a bundle of the target. A move is
        kept only when it deletes fewer installed products, or as many and adds fewer: so the sweeps end.

        Every product the change keeps or adds sits in the tree of ``target`` (the change's offering): the
        offering itself, or one its slots hold at some depth. A product that could neither become ``target`` nor
        fit anywhere beneath it has no place in that tree (:meth:`_places_for` finds none): it is passed over
        without looking at the items — the usual case, and an account whose lines the target drops is not
        searched once per line.
        """
        improved = True
        while improved:
            improved = False
            changed = False  # the items are still the objects of this sweep's list
            for given_up in [i for i in self.items  # _gave_up, inline: one pass over every item
                             if i.action is _DELETE and i.installed and i.reasons[0].code in HOMELESS]:
                if self._placeless(self.inventory.product(given_up.product_id), target):
                    continue
                item = next(i for i in self.items if i.product_id == given_up.product_id) if changed else given_up
                if _gave_up(item) and self._improve(item, room=True):
                    improved = changed = True

    def _placeless(self, product: Product, target: str) -> bool:
        """Whether ``product`` has no place in the tree of ``target`` (:meth:`_rehome`): it can neither become
        ``target`` nor fit beneath it — so it fits beneath none of the offerings the tree holds either."""
        return not self._fits_beneath(product, target) and not self._becomes(product, target)

    # ------------------------------------------------------------------ amendments
    def amend(self, delta: Delta, amendments: Iterable[Amendment]) -> Delta | Refused:
        """A new delta: ``delta`` with ``amendments`` applied in order, by the rules it was built with (the same
        catalog, inventory and migration rules). The given delta is not changed. (A :class:`Refused` when what an
        amendment moves cannot keep a value the request chose.)"""
        self._refused = None
        self._choices = self._checked_choices(_choices_of(delta.request))
        self.items = list(delta.items)  # values: the given delta's items are shared, never changed
        self._shuffled = True
        self._root, self._new_ids, self._elsewhere = delta.root_product_id, 0, set()
        for amendment in amendments:
            match amendment:
                case Drop(product_id, reason):
                    self._drop(product_id, reason)
                case TakePlace(product_id, reason):
                    self._take_place(product_id, reason)
                case Recommit(product_id, terms, reasons, first):
                    wanted = product_id if product_id is not None else self._root
                    n, item = next((n, i) for n, i in enumerate(self.items) if i.product_id == wanted)
                    self.items[n] = _revised(
                        item, terms=tuple(terms),
                        action=Action.MODIFY if item.action is Action.NO_CHANGE else item.action,
                        reasons=(*([first] if first else []), *item.reasons, *reasons))
        if self._refused is not None:
            return Refused(self._refused)
        renamed = self._renumber()
        root = renamed.get(self._root, self._root) if self._root is not None else None
        return Delta(tuple(self.items), delta.request, delta.as_of, root,
                     delta.target_offering_id, delta.migrations)

    def _drop(self, product_id: str, reason: Reason) -> None:
        """Delete ``product_id`` and what it bundles, whatever the delta said of them before."""
        inventory = self.inventory
        position = {i.product_id: n for n, i in enumerate(self.items)}
        for pid in inventory.subtree(product_id):
            why = reason if pid == product_id else Reason(
                "parent_deleted", f"bundled in {product_id}, which is removed", reason.source)
            product = inventory.product(pid)
            n = position.get(pid)
            if n is None:
                offering = product.offering_id or ""
                self.items.append(made_item(str(len(self.items) + 1), Action.DELETE, pid, offering,
                                            self._tables.spec(offering), inventory.parent(pid), None,
                                            product.characteristics(), (), (why,), True, None))
                continue
            item = self.items[n]
            self.items[n] = _revised(item, action=Action.DELETE,
                                     offering_id=item.previous_offering_id or item.offering_id,
                                     previous_offering_id=None,
                                     characteristics=product.characteristics() if item.installed else {},
                                     changes=(), reasons=(why,))

    def _take_place(self, product_id: str, why: Reason) -> bool:
        """The installed ``product_id``, which the delta deletes (``why``), takes the place of a new product of its
        kind the change adds, when that is less disruptive. True if it did."""
        item = next(i for i in self.items if i.product_id == product_id)
        if not self._improve(item, room=False, within=True):
            return False
        n, kept = next((n, i) for n, i in enumerate(self.items) if i.product_id == product_id)
        self.items[n] = _revised(kept, reasons=(why, *kept.reasons))
        return True

    def _improve(self, item: DeltaItem, room: bool, within: bool = False) -> bool:
        """Try the places the target has for the product of ``item``, best first; keep the first that makes the
        change less disruptive (see :meth:`_disruption`). ``within``: only if its parent is part of the change."""
        product = self.inventory.product(item.product_id)
        places = self._places_for(product, room)
        if not places:  # the usual case: a product the target has no place for at all
            return False
        installed = sorted(i.product_id for i in self.items if i.installed)
        if within:  # only a product inside the changed tree moves, and within it
            live = {i.product_id for i in self.items if i.action is not Action.DELETE}
            places = places if item.parent_id in live else []
        for place in places:
            saved, score = self._save(), self._disruption()
            self._move(item, *place)
            # a move must account for every installed product it touched, once
            if self._disruption() < score and sorted(i.product_id for i in self.items if i.installed) == installed:
                return True
            self._restore(saved)
        return False

    def _save(self) -> _State:
        """What a trial may change (restructuring ways, re-homing moves), to go back to when it is not kept."""
        return _State(list(self.items), self._new_ids, self._root, frozenset(self._elsewhere))

    def _restore(self, state: _State) -> None:
        self._shuffled = True
        self.items, self._new_ids, self._root, self._elsewhere = (list(state.items), state.new_ids, state.root,
                                                                  set(state.elsewhere))

    def _disruption(self) -> tuple[int, int]:
        """Installed products deleted, then products added."""
        deleted = sum(1 for i in self.items if i.action is Action.DELETE and i.installed)
        return deleted, sum(1 for i in self.items if not i.installed)

    def _places_for(self, product: Product, room: bool) -> list[tuple[DeltaItem | None, Component, DeltaItem | None]]:
        """Where ``product`` could go in the target tree, best first: ``(parent item, slot, new item it would
        replace)`` — replacing a new product of its kind (the new root of the change too) before taking free room
        (only when ``room``)."""
        live: list[DeltaItem] = []
        offerings: set[str] = set()
        root: DeltaItem | None = None  # the first live item that is the change's new root
        wanted = self._root
        for i in self.items:  # one pass: a change deletes few products, each asked here once a sweep
            if i.action is not _DELETE:
                live.append(i)
                offerings.add(i.offering_id)
                if root is None and i.product_id == wanted and not i.installed and i.parent_id is None:
                    root = i
        ranked: list[tuple[tuple[int, int, int], tuple[DeltaItem | None, Component, DeltaItem | None]]] = []
        if root is not None and (fit := self._becomes(product, root.offering_id)):
            ranked.append(((-fit, 0, -1), (None, _whole(root.offering_id), root)))
        # the items with a slot, at any depth, the product could fill (the catalog knows it at once): only their
        # own slots can take it
        if self.migrations:
            able = {o for o in offerings if self._fits_beneath(product, o)}
        else:  # the catalog's word alone (_fits_beneath without a rule of this change)
            oid, spec = self._kinds[product.id]
            beneath = self._tables.beneath
            able = {o for o in offerings if beneath(oid, spec, o)}
        holders = [(order, parent) for order, parent in enumerate(live) if parent.offering_id in able] if able else []
        if not holders:
            return [place for _, place in ranked]
        below: dict[str, list[DeltaItem]] = {}
        for item in live:
            if item.parent_id is not None:
                below.setdefault(item.parent_id, []).append(item)
        touched = {i.product_id for i in self.items}
        for order, parent in holders:
            slots = self._tables.slots(parent.offering_id)
            for slot in slots:
                held = [c for c in below.get(parent.product_id, []) if c.offering_id == slot.offering_id]
                new = next((c for c in held if not c.installed), None)
                fit = self._fit(product, slot, slots, strict=new is None)
                if not fit or (new is not None and new.product_id == parent.product_id):
                    continue
                untouched = [c for c in (self._links.children_of(parent.product_id) if parent.installed else [])
                             if c not in touched and self.inventory.product(c).offering_id == slot.offering_id]
                if new is not None:
                    ranked.append(((-fit, 0, order), (parent, slot, new)))
                elif room and (slot.upper is None or len(held) + len(untouched) < slot.upper):
                    ranked.append(((-fit, 1, order), (parent, slot, None)))
        return [place for _, place in sorted(ranked, key=lambda r: r[0])]

    def _move(self, item: DeltaItem, parent: DeltaItem | None, slot: Component, replaced: DeltaItem | None) -> None:
        """Re-emit the given-up ``item`` as kept in ``slot`` under ``parent``, in place of ``replaced`` (whose
        installed products it takes in). What it held comes back to it where its new offering has a place."""
        product = self.inventory.product(item.product_id)
        by_parent: dict[str, list[DeltaItem]] = {}
        for other in self.items:
            if other.parent_id is not None:
                by_parent.setdefault(other.parent_id, []).append(other)

        def subtree(root: str) -> set[str]:
            found, queue = {root}, [root]
            while queue:
                for child in by_parent.get(queue.pop(), []):
                    if child.product_id not in found:
                        found.add(child.product_id)
                        queue.append(child.product_id)
            return found

        current = {i.product_id: i for i in self.items}
        returning = [c for c in self._links.children_of(product.id)
                     if c in current and (current[c].action is Action.DELETE
                                          or self._fits_beneath(self.inventory.product(c), slot.offering_id))]
        gone = {item.product_id}
        for child in returning:
            gone |= subtree(child)
        taken: list[Product] = []
        if replaced is not None:
            inside = subtree(replaced.product_id)
            gone |= inside
            taken = [self.inventory.product(pid) for pid in sorted(inside)
                     if current[pid].installed and (up := current[pid].parent_id) in current
                     and up is not None and not current[up].installed]
        anchor = replaced or item
        position = next(n for n, i in enumerate(self.items) if i is anchor)
        before = [i for i in self.items[:position] if i.product_id not in gone]
        after = [i for i in self.items[position:] if i.product_id not in gone]
        self.items = []
        outside = self._elsewhere
        self._elsewhere = outside | {i.product_id for i in before + after} | {product.id, *returning}
        candidates = [self.inventory.product(c) for c in returning] + taken
        if parent is None:  # it becomes the product the change asked for
            self._root = product.id
            self._migrate(product, slot.offering_id, None, "requested_change", candidates=candidates)
        else:
            mapped = product.offering_id != slot.offering_id and self._fit(product, slot, [slot]) == MIGRATION
            source = ((self._mapping_source(product, slot.offering_id) if mapped else None)
                      or f"catalog:{parent.offering_id}")
            self._migrate(product, slot.offering_id, parent.product_id, "matched", slot_source=source,
                          candidates=candidates)
        self.items = before + self.items + after
        self._elsewhere = outside
        self._shuffled = True

    def _renumber(self) -> dict[str, str]:
        """Items numbered in order; generated product ids without the gaps re-homing leaves (returned: old → new).
        Nothing to do when the items were only ever appended (:attr:`_shuffled`): the usual build."""
        if not self._shuffled:
            return {}
        self._new_ids = 0
        renamed = {i.product_id: self._new_id() for i in self.items if not i.installed}
        moved = {old: new for old, new in renamed.items() if old != new}
        items = self.items
        for n, item in enumerate(items):  # most items already have their number and ids: they stay as they are
            number = str(n + 1)
            if item.id != number or (moved and (item.product_id in moved or item.parent_id in moved)):
                parent = item.parent_id
                items[n] = _revised(item, id=number, product_id=moved.get(item.product_id, item.product_id),
                                    parent_id=moved.get(parent, parent) if parent is not None else None)
        return renamed

    def _strays(self, product: Product, target: str, offering: str) -> list[Product]:
        """What ``product`` holds that its ``target`` has no place for but ``offering`` (one level up) has: it is
        lifted to that level rather than deleted (the target keeps it beside the product, not inside it)."""
        strays = []
        for child in self._children(product):
            if self._fits_beneath(child, target):
                continue
            if self._fits_beneath(child, offering):
                strays.append(child)
            else:  # the child has no place; what it holds may still have one
                strays.extend(self._strays(child, target, offering))
        return strays

    def _fits_beneath(self, product: Product, offering: str) -> bool:
        """Whether some component slot of ``offering``, at any depth, could hold ``product``."""
        oid, spec = self._kinds[product.id]
        if self._tables.beneath(oid, spec, offering):  # the catalog's word: no rule takes a place away
            return True
        if not self.migrations:
            return False
        key = (oid, spec, offering)
        if key not in self._beneath:
            slots = self._tables.slots(offering)
            self._beneath[key] = any(self._fit(product, s, slots) or self._fits_beneath(product, s.offering_id)
                                     for s in slots)
        return self._beneath[key]

    def _fit(self, product: Product, slot: Component, slots: Sequence[Component], strict: bool = True,
             held: bool | None = None) -> int:
        """How well an installed product can fill a target slot (0: not at all).

        A product whose own offering is still a component of the target stays that offering (or goes, when its
        slot is full): it is not turned into a sibling offering of the same specification — unless (not
        ``strict``) the alternative is to delete it and add that sibling new. ``held``: whether some slot of
        ``slots`` is the product's own offering, when the caller already knows (it asks for every slot in turn).
        """
        offering = product.offering_id
        if offering == slot.offering_id:
            return SAME_OFFERING
        if strict and (held if held is not None else any(other.offering_id == offering for other in slots)):
            return 0
        return self._kin(offering, product.spec_id, slot.offering_id)

    def _becomes(self, product: Product, offering: str) -> int:
        """How well ``product`` can become ``offering`` itself (the target seen as its one slot), 0: not at all."""
        own, spec = self._kinds[product.id]
        return self._kin(own, spec, offering)

    def _kin(self, offering: str | None, spec: str | None, target: str) -> int:
        """How well an installed product of ``offering`` (and ``spec``, the specification it names) can become
        ``target``: the catalog's compiled answer, or a migration when one of this change's rules allows it."""
        found = self._tables.kinship(offering, spec, target)
        if found or not self.migrations or not offering:
            return found
        key = (offering, spec, target)
        rule = self._fits.get(key)
        if rule is None:
            rule = self._fits[key] = MIGRATION if self._migration_rule(offering, target) is not None else 0
        return rule

    def _placements(self, product: Product, offering: str,
                    slots: Sequence[Component]) -> Sequence[tuple[Component, int]]:
        """The slots of ``offering`` (``slots``) ``product`` could fill, with how well: the catalog's compiled
        answer, unless a migration rule of this change may add to it."""
        if not self.migrations:
            return self._tables.placements(product.offering_id, product.spec_id, offering)
        held = any(slot.offering_id == product.offering_id for slot in slots)
        return [(slot, fit) for slot in slots if (fit := self._fit(product, slot, slots, held=held))]

    def _mapping_source(self, product: Product, offering: str) -> str | None:
        """What says an installed product may become ``offering``: a catalog relationship or a migration rule."""
        if not product.offering_id:
            return None
        if offering in self._tables.migration_targets(product.offering_id):
            return f"catalog:{product.offering_id}"
        rule = self._migration_rule(product.offering_id, offering) if self.migrations else None
        return f"rule:{rule}" if rule else None

    def _migration_rule(self, installed: str, target: str) -> str | None:
        """The first migration rule that lets ``installed`` become ``target``, else None."""
        installed_spec = self._tables.spec(installed)
        target_spec = self._tables.spec(target)
        return next((m.rule_id for m in self.migrations if m.allows(installed, installed_spec, target, target_spec)),
                    None)

    def _match(self, children: list[Product], offering: str, slots: Sequence[Component]) -> dict[str, Component]:
        """Assign installed children to the target slots of ``offering`` (``slots``): keep the most, then the best
        fits, then the oldest.

        Exact maximum-cardinality, maximum-weight matching. Children that can fill only one slot are settled per
        slot (it keeps its best candidates up to its capacity: what the matching would choose, in O(n log n));
        children that could fill several slots compete in a networkx matching over slot copies (at most as many
        copies as candidates).
        """
        if self.migrations:
            options = {child.id: found for child in children
                       if (found := self._placements(child, offering, slots))}
        else:  # the catalog's compiled answer (_placements without a rule of this change), one call per child
            placements, kinds = self._tables.placements, self._kinds
            options = {cid: found for cid in [child.id for child in children]
                       if (found := placements(*kinds[cid], offering))}
        contested = {cid for cid, found in options.items() if len(found) > 1}
        contested_slots = {slot.slot for cid in contested for slot, _ in options[cid]}
        by_slot: dict[int, list[str]] = {}
        for cid, found in options.items():
            if cid not in contested:
                if found[0][0].slot in contested_slots:
                    contested.add(cid)
                else:
                    by_slot.setdefault(found[0][0].slot, []).append(cid)
        weight = _Weights(self._tables, children)
        assignment: dict[str, Component] = {}
        slot_of = {slot.slot: slot for slot in slots}
        for number, cids in by_slot.items():
            slot = slot_of[number]
            if slot.upper is not None and len(cids) > slot.upper:  # it keeps the best (else all: no need to rank)
                cids = sorted(cids, key=lambda cid: (-weight(cid, options[cid][0]), weight.rank[cid]))[:slot.upper]
            assignment.update(dict.fromkeys(cids, slot))
        if contested:
            demand: dict[int, int] = {}
            for cid in contested:
                for slot, _ in options[cid]:
                    demand[slot.slot] = demand.get(slot.slot, 0) + 1
            edges = []
            for cid in sorted(contested, key=weight.rank.__getitem__):
                for option in options[cid]:
                    slot = option[0]
                    copies = demand[slot.slot] if slot.upper is None else min(slot.upper, demand[slot.slot])
                    for copy in range(copies):  # filling a mandatory place first spares adding a new product
                        edges.append((cid, (slot.slot, copy), weight(cid, option) * 1000 + (copies - copy)
                                      + (500 if copy < slot.lower else 0)))
            for cid, place in max_weight_assignment(edges).items():
                number, _ = cast(tuple[int, int], place)  # the right side of each edge is (slot, copy)
                assignment[cid] = slot_of[number]
        return assignment

    # ------------------------------------------------------------------ characteristics
    def _carry_characteristics(self, product: Product,
                               target: str) -> tuple[dict[str, Any], Sequence[CharacteristicChange], bool]:
        """The product's characteristics under the target offering, what changes, and whether every value kept
        was found allowed here (each was carried as it is: :meth:`_emit` need not check them again).

        Without a choice of the request the answer is the catalog's for the product's values: kept per catalog
        (:meth:`_carried_as`) for values whose equal is the same value written the same way (texts, whole
        numbers, truth values, none). The items of this change that have the same values share one copy of them
        (:attr:`_carried_here`), never the catalog's: what a caller does with one delta's items cannot reach
        another change."""
        if self._choices:
            return self._carry(product, target)
        chars = product.product_characteristic
        if len(chars) == 1:  # the usual product, inline: one value
            char = chars[0]
            value = char.value
            kind = value.__class__
            key = ((target, char.name, kind, value) if kind in _EXACT and (kind is not str or len(value) <=
                                                                           REMEMBERED_TEXT) else None)
        else:
            key = self._carried_as(chars, target)
        if key is None:
            return self._carry(product, target)
        here = self._carried_here.get(key)
        if here is not None:
            return here
        found = self._carried.get(key)
        if found is None:
            after, changes, checked = self._carry(product, target)
            if len(self._carried) >= TABLE_SIZE:
                self._carried.clear()
            self._carried[key] = found = (after.copy(), tuple(changes), checked)
            here = (after, found[1], checked)
        else:
            here = (found[0].copy(), found[1], found[2])
        self._carried_here[key] = here
        return here

    @staticmethod
    def _carried_as(chars: list[Characteristic], target: str) -> tuple[Any, ...] | None:
        """The key of the characteristics table for a product's values (``chars``) becoming ``target``'s (None:
        values that are not kept: a float or an object, whose equal may be written otherwise, or a long text)."""
        key: list[Any] = [target]
        for char in chars:
            value = char.value
            kind = value.__class__
            if kind not in _EXACT or (kind is str and len(value) > REMEMBERED_TEXT):
                return None
            key += (char.name, kind, value)
        return tuple(key)

    def _carry(self, product: Product,
               target: str) -> tuple[dict[str, Any], Sequence[CharacteristicChange], bool]:
        """:meth:`_carry_characteristics`, worked out."""
        tables = self._tables
        rules = tables.characteristics(target)
        before = product.characteristics()
        chosen = {**self._choices.get(target, {}), **self._choices.get(product.id, {})} if self._choices else _NONE
        after: dict[str, Any] = {}
        changes: list[CharacteristicChange] = []
        checked = True
        for rule in rules if rules is not None else [tables.characteristic(target, name) for name in before]:
            name = rule.name
            if name in chosen:
                value, why = chosen[name], "chosen in the request"
            elif name in before and tables.allowed(target, name, before[name]):
                after[name] = before[name]  # carried as it is: no change
                continue
            else:
                mandatory = rule.known and (rule.required or rule.narrowed)
                if not rule.has_default or (name not in before and not mandatory):
                    if name in before:
                        changes.append(CharacteristicChange(name, before[name], None,
                                                            f"{tables.name(target)} does not allow it"))
                    continue
                value = rule.default
                why = (f"fixed by {tables.name(target)}" if rule.fixed else
                       f"{tables.name(target)} does not allow {value_key(before[name])}" if name in before else
                       f"default of {tables.name(target)}")
            after[name] = value
            checked = False
            if name not in before or value_key(before[name]) != value_key(value):
                changes.append(CharacteristicChange(name, before.get(name), value, why))
        if rules is not None and not after.keys() >= before.keys():  # some value was not carried: say why
            for name in before:
                if name not in after and not tables.characteristic(target, name).known:
                    changes.append(CharacteristicChange(name, before[name], None,
                                                        f"not a characteristic of {tables.name(target)}"))
        return after, changes or _NO_CHANGES, checked

    def _new_characteristics(self, offering: str) -> dict[str, Any]:
        chosen = self._choices.get(offering, {})
        values: dict[str, Any] = {}
        for rule in self._tables.characteristics(offering) or ():
            if rule.name in chosen:
                values[rule.name] = chosen[rule.name]
            elif rule.has_default:
                values[rule.name] = rule.default
            elif rule.required and self.catalog.allowed_values(offering, rule.name):
                allowed = ", ".join(value_key(v.value) for v in self.catalog.allowed_values(offering, rule.name) or [])
                self._refuse(f"a new {offering!r} needs a value for {rule.name!r} (allowed: {allowed}); "
                             f"choose one with set")
        return values

    def _checked_choices(self, choices: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
        """Refuse choices for unknown products, unknown characteristics or values the catalog does not allow."""
        checked: dict[str, dict[str, Any]] = {}
        for key, values in choices.items():
            if key in self.inventory.products:
                offering = self.inventory.product(key).offering_id or ""
            elif key in self.catalog.offerings:
                offering = key
            else:
                hint = did_you_mean(key, [*self.inventory.products, *self.catalog.offerings])
                raise RequestError(f"set: {key!r} is neither an installed product nor an offering{hint}")
            spec = self.catalog.specification_of(offering)
            names = [c.name for c in spec.product_spec_characteristic] if spec else []
            for name in values:
                if name not in names:
                    raise RequestError(f"set: {offering!r} has no characteristic {name!r}{did_you_mean(name, names)}")
            checked[key] = dict(values)
        return checked

    def _check_values(self, offering: str, characteristics: Mapping[str, Any]) -> None:
        """Every value a kept or new product ends with must be allowed; only a request's choice can break this."""
        for name, value in characteristics.items():
            if not self._tables.allowed(offering, name, value):
                allowed = ", ".join(value_key(v.value) for v in self.catalog.allowed_values(offering, name) or [])
                self._refuse(f"{value_key(value)!r} is not an allowed {name!r} for {offering!r} "
                             f"(allowed: {allowed})")

    # ------------------------------------------------------------------ emitting items
    def _emit(self, action: Action, product_id: str, offering: str, parent: str | None,
              characteristics: dict[str, Any], changes: Sequence[CharacteristicChange], reasons: Sequence[Reason],
              previous: str | None, installed: bool = True, checked: bool = False) -> None:
        """Append an item, numbered in order (:meth:`_renumber` renumbers what re-homing moved). ``checked``: the
        caller has already found every value of ``characteristics`` allowed by ``offering``."""
        if action is not _DELETE and not checked:
            self._check_values(offering, characteristics)
        items = self.items
        items.append(made_item(str(len(items) + 1), action, product_id, offering, self._tables.spec(offering),
                               parent, previous, characteristics, tuple(changes), tuple(reasons), installed, None))

    def _emit_context(self, product: Product) -> None:
        """The parent of an added product appears unchanged so the order can relate the new item to it."""
        self._emit(Action.NO_CHANGE, product.id, product.offering_id or "", self._links.parent(product.id),
                   product.characteristics(), (),
                   [Reason("context", "unchanged; receives the new component", "request")], previous=None)

    def _delete_tree(self, product_id: str, situation: str, why: str, source: str = "request",
                     said: tuple[Reason] | None = None) -> None:
        """Delete the product for ``situation`` (``why``, or the reasons ``said``) and what it holds."""
        root = self.inventory.product(product_id)
        tree, queue = [], [root]
        while queue:  # what it holds, except what was placed elsewhere
            tree.append(queue.pop(0))
            queue = self._children(tree[-1]) + queue
        kinds = self._kinds
        for product in tree:
            pid = product.id
            reasons: Sequence[Reason]
            if pid == product_id:
                action, code = OUTCOMES[situation]
                reasons = said if said is not None else [Reason(code, why, source)]
            else:
                action, code = OUTCOMES["under_deleted"]
                reasons = [Reason(code, f"bundled in {root.id} ({self._tables.name(kinds[product_id][0])}), which "
                                        "is removed", source)]
            self._emit(action, pid, kinds[pid][0] or "", self._links.parent(pid), product.characteristics(),
                       (), reasons, previous=None)

    def _instantiate(self, offering: str, parent: str | None, situation: str, why: str, source: str = "request",
                     options: Iterable[str] = (), adopted: list[Product] | None = None) -> str:
        """A new product of ``offering`` with its components: ``adopted`` installed products placed where they
        fit, the rest at the default count and default values, recursively."""
        self._must_be_sellable(offering)
        action, code = OUTCOMES[situation]
        product_id = self._new_id()
        self._emit(action, product_id, offering, parent, self._new_characteristics(offering), (),
                   [Reason(code, why, source)], previous=None, installed=False)
        self._populate(product_id, offering, adopted or [], options, fresh=True)
        return product_id

    def _new_id(self) -> str:
        while True:
            self._new_ids += 1
            candidate = f"NEW-{self._new_ids}"
            if candidate not in self.inventory.products:
                return candidate

    # ------------------------------------------------------------------ checks on the request
    def _installed(self, product_id: str) -> Product:
        return self.inventory.installed(product_id)

    def _known_offering(self, offering_id: str) -> None:
        if offering_id not in self.catalog.offerings:
            raise RequestError(f"unknown offering {offering_id!r}{did_you_mean(offering_id, self.catalog.offerings)}")

    def _refuse(self, message: str) -> None:
        """The catalog's structure does not allow the request as asked: the first refusal met is the answer."""
        if self._refused is None:
            self._refused = message

    def _must_be_sellable(self, offering_id: str) -> bool:
        if self._tables.sellable(offering_id, self.as_of):
            return True
        ok, why = self.catalog.sellable(offering_id, self.as_of)
        if not ok:
            successors = self.catalog.successors(offering_id)
            hint = f"; its successor is {', '.join(map(repr, successors))}" if successors else ""
            self._refuse(why + hint)
        return ok

    def _must_fit_parent(self, parent_id: str, replacing: str | None, offering: str) -> bool:
        parent = self.inventory.product(parent_id)
        slots = [s for s in self._tables.slots(parent.offering_id or "") if s.offering_id == offering]
        if not slots:
            names = [s.offering_id for s in self._tables.slots(parent.offering_id or "")]
            self._refuse(f"{offering!r} is not a component of {parent.offering_id!r} (installed as "
                         f"{parent_id}){did_you_mean(offering, names)}")
            return False
        siblings = [c for c in self._links.children_of(parent_id)
                    if c != replacing and self.inventory.product(c).offering_id == offering]
        upper = slots[0].upper
        if upper is not None and len(siblings) + 1 > upper:
            self._refuse(f"{parent.offering_id!r} allows at most {upper} {offering!r}; "
                         f"{parent_id} already has {len(siblings)}")
            return False
        return True

    def _must_allow_one_less(self, parent_id: str, product: Product) -> bool:
        parent = self.inventory.product(parent_id)
        same = [c for c in self._links.children_of(parent_id)
                if self.inventory.product(c).offering_id == product.offering_id]
        for slot in self._tables.slots(parent.offering_id or ""):
            if slot.offering_id == product.offering_id and len(same) - 1 < slot.lower:
                self._refuse(f"{product.id} ({product.offering_id}) is mandatory in {parent.offering_id!r} "
                             f"(at least {slot.lower}); change or terminate {parent_id} instead")
                return False
        return True

    def _refuse_leftover_options(self, chosen: list[str], offering: str, slots: Sequence[Component]) -> None:
        if chosen:
            names = [s.offering_id for s in slots]
            self._refuse(f"option(s) {', '.join(map(repr, chosen))} are not components of {offering!r}"
                         f"{did_you_mean(chosen[0], names)}")

    # ------------------------------------------------------------------ words
    def _sentence(self, code: str, offering: str | None, target: str) -> str:
        """What a reason with ``code`` says of an installed product of ``offering`` that becomes ``target``."""
        if code == "requested":
            if offering == target:
                return f"{self._tables.name(target)} is kept as requested"
            return f"{self._tables.name(offering)} changes to {self._tables.name(target)} as requested"
        if code == "offering_changed":
            return f"{self._tables.name(offering)} becomes {self._tables.name(target)}"
        if code == "characteristic_changed":
            return f"{self._tables.name(target)} is kept with changed characteristics"
        return f"{self._tables.name(target)} is kept unchanged"

    @staticmethod
    def _source(code: str, target: str, slot_source: str | None) -> str:
        if code == "requested":
            return "request"
        return slot_source or f"catalog:{target}"


HOMELESS = {"not_in_target", "cardinality_exceeded", "parent_deleted", "restructured"}
"""Reasons a change deletes a product that a place elsewhere in the target could keep (see ``_rehome``)."""


def _choices_of(request: Request) -> Mapping[str, Mapping[str, Any]]:
    """The characteristic values a request chooses: ``product or offering id → name → value``."""
    match request:
        case ChangeOffer() | AddOffering() | Acquire():
            return request.set
        case ModifyCharacteristics():
            return {request.product: request.characteristics}
        case _:
            return {}


def _gave_up(item: DeltaItem) -> bool:
    """Whether the change deletes an installed product for want of a place (see ``DeltaBuilder._rehome``)."""
    return item.action is _DELETE and item.installed and item.reasons[0].code in HOMELESS


_NEVER = datetime.max.replace(tzinfo=UTC)
"""The start date of a product that gives none: after every other (it is the newest)."""


class _Weights:
    """How much keeping a child in a slot is worth to the matching (:meth:`DeltaBuilder._match`): its fit first, then
    how many of its characteristic values the slot's offering allows, then its age. Worked out only when a slot has
    more candidates than room or a child could fill several slots — most slots take every candidate they get."""

    def __init__(self, tables: CompiledCatalog, children: list[Product]) -> None:
        self._tables = tables
        self._given = children
        self._by_id: dict[str, Product] | None = None
        self._rank: dict[str, int] | None = None

    @property
    def _children(self) -> dict[str, Product]:
        """Child id → child, made on first use (most matchings never weigh)."""
        if self._by_id is None:
            self._by_id = {child.id: child for child in self._given}
        return self._by_id

    @property
    def rank(self) -> dict[str, int]:
        """Child id → its age rank, older products first (start date, then id): the same answer whatever order the
        inventory lists them in."""
        if self._rank is None:
            ordered = sorted(self._children.values(), key=lambda c: (c.start_date or _NEVER, c.id))
            self._rank = {child.id: i for i, child in enumerate(ordered)}
        return self._rank

    def __call__(self, child_id: str, place: tuple[Component, int]) -> int:
        slot, fit = place
        children = self._children
        allowed, child = self._tables.allowed, children[child_id]
        kept = sum(1 for c in child.product_characteristic if allowed(slot.offering_id, c.name, c.value))
        return (fit * 1000 + kept) * 1_000_000 + (len(children) - self.rank[child_id])


def _whole(offering: str) -> Component:
    """The target offering itself seen as a slot, to ask whether an installed product could become it."""
    return Component(slot=0, offering_id=offering, lower=1, upper=1, default=1)


def _change_sentence(change: CharacteristicChange) -> str:
    before = "—" if change.before is None else value_key(change.before)
    after = "removed" if change.after is None else value_key(change.after)
    return f"{change.name}: {before} → {after} ({change.why})"
