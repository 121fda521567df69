"""odedelta: what happens if this customer moves from what they have to that?

The public face. Everything not listed in ``__all__`` may change between versions. The layers, bottom up:
``model`` → ``delta`` → ``rules`` → ``money`` → ``flows`` → ``outputs`` → ``adapters``.

Each public name is imported when it is first used (PEP 562), so ``import odedelta`` — and ``odedelta --help`` —
does not load the whole engine; ``__init__.pyi`` gives type checkers the same names with their types.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# each public name: (the module it lives in, its name there; None: the module itself)
_PUBLIC: dict[str, tuple[str, str | None]] = {
    "__version__": ("odedelta._version", "__version__"),
    "demo": ("odedelta.adapters.demo", None),
    "load_catalog": ("odedelta.adapters.files", "load_catalog"),
    "load_inventory": ("odedelta.adapters.files", "load_inventory"),
    "load_rules": ("odedelta.adapters.files", "load_rules"),
    "Action": ("odedelta.delta.items", "Action"),
    "CharacteristicChange": ("odedelta.delta.items", "CharacteristicChange"),
    "DeltaItem": ("odedelta.delta.items", "DeltaItem"),
    "Reason": ("odedelta.delta.items", "Reason"),
    "Engine": ("odedelta.flows.engine", "Engine"),
    "RulesExplanation": ("odedelta.flows.explain", "RulesExplanation"),
    "explain_change": ("odedelta.flows.explain", "explain_change"),
    "explain_rules": ("odedelta.flows.explain", "explain_rules"),
    "Candidate": ("odedelta.flows.qualify", "Candidate"),
    "Qualification": ("odedelta.flows.qualify", "Qualification"),
    "ChangeResult": ("odedelta.flows.result", "ChangeResult"),
    "NotEligible": ("odedelta.flows.result", "NotEligible"),
    "Refusal": ("odedelta.flows.result", "Refusal"),
    "Renewal": ("odedelta.flows.result", "Renewal"),
    "TermNotice": ("odedelta.flows.result", "TermNotice"),
    "apply": ("odedelta.flows.result", "apply"),
    "Catalog": ("odedelta.model.catalog", "Catalog"),
    "CatalogError": ("odedelta.model.errors", "CatalogError"),
    "CurrencyMismatch": ("odedelta.model.errors", "CurrencyMismatch"),
    "InventoryError": ("odedelta.model.errors", "InventoryError"),
    "LoadError": ("odedelta.model.errors", "LoadError"),
    "NotOrderable": ("odedelta.model.errors", "NotOrderable"),
    "OdeDeltaError": ("odedelta.model.errors", "OdeDeltaError"),
    "Problem": ("odedelta.model.errors", "Problem"),
    "RequestError": ("odedelta.model.errors", "RequestError"),
    "Inventory": ("odedelta.model.inventory", "Inventory"),
    "dumps": ("odedelta.model.jsonio", "dumps"),
    "Limits": ("odedelta.model.limits", "Limits"),
    "Money": ("odedelta.model.money", "Money"),
    "Acquire": ("odedelta.model.requests", "Acquire"),
    "AddOffering": ("odedelta.model.requests", "AddOffering"),
    "ChangeOffer": ("odedelta.model.requests", "ChangeOffer"),
    "Context": ("odedelta.model.requests", "Context"),
    "ModifyCharacteristics": ("odedelta.model.requests", "ModifyCharacteristics"),
    "RemoveProduct": ("odedelta.model.requests", "RemoveProduct"),
    "Renew": ("odedelta.model.requests", "Renew"),
    "Request": ("odedelta.model.requests", "Request"),
    "TerminateProduct": ("odedelta.model.requests", "TerminateProduct"),
    "to_dict": ("odedelta.outputs.json", "change_dict"),
    "qualification_dict": ("odedelta.outputs.json", "qualification_dict"),
    "explain": ("odedelta.outputs.report", "explain"),
    "explain_qualification": ("odedelta.outputs.report", "explain_qualification"),
    "to_html": ("odedelta.outputs.html", "to_html"),
    "to_tmf622": ("odedelta.outputs.tmf622", "product_order"),
    "to_tmf679": ("odedelta.outputs.tmf679", "qualification_document"),
    "Rulebook": ("odedelta.rules", "Rulebook"),
    "RuleError": ("odedelta.rules", "RuleError"),
}

__all__ = [
    "Acquire",
    "Action",
    "AddOffering",
    "Candidate",
    "Catalog",
    "CatalogError",
    "ChangeOffer",
    "ChangeResult",
    "CharacteristicChange",
    "Context",
    "CurrencyMismatch",
    "DeltaItem",
    "Engine",
    "Inventory",
    "InventoryError",
    "Limits",
    "LoadError",
    "ModifyCharacteristics",
    "Money",
    "NotEligible",
    "NotOrderable",
    "OdeDeltaError",
    "Problem",
    "Qualification",
    "Reason",
    "Refusal",
    "RemoveProduct",
    "Renew",
    "Renewal",
    "Request",
    "RequestError",
    "RuleError",
    "Rulebook",
    "RulesExplanation",
    "TermNotice",
    "TerminateProduct",
    "apply",
    "demo",
    "dumps",
    "explain",
    "explain_change",
    "explain_qualification",
    "explain_rules",
    "load_catalog",
    "load_inventory",
    "load_rules",
    "qualification_dict",
    "to_dict",
    "to_html",
    "to_tmf622",
    "to_tmf679",
]

def __getattr__(name: str) -> Any:
    """A public name, imported on first use and kept; a subpackage (``odedelta.rules``) as ``import`` would give."""
    if name in _PUBLIC:
        module, attribute = _PUBLIC[name]
        value = import_module(module) if attribute is None else getattr(import_module(module), attribute)
    elif not name.startswith("_"):
        try:
            value = import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
