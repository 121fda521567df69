"""The public face's types (the module itself, ``__init__.py``, imports each name when it is first used)."""


from odedelta._version import __version__ as __version__
from odedelta.adapters import demo
from odedelta.adapters.files import load_catalog, load_inventory, load_rules
from odedelta.delta.items import Action, CharacteristicChange, DeltaItem, Reason
from odedelta.flows.engine import Engine
from odedelta.flows.explain import RulesExplanation, explain_change, explain_rules
from odedelta.flows.qualify import Candidate, Qualification
from odedelta.flows.result import ChangeResult, NotEligible, Refusal, Renewal, TermNotice, apply
from odedelta.model.catalog import Catalog
from odedelta.model.errors import (
    CatalogError,
    CurrencyMismatch,
    InventoryError,
    LoadError,
    NotOrderable,
    OdeDeltaError,
    Problem,
    RequestError,
)
from odedelta.model.inventory import Inventory
from odedelta.model.jsonio import dumps
from odedelta.model.limits import Limits
from odedelta.model.money import Money
from odedelta.model.requests import (
    Acquire,
    AddOffering,
    ChangeOffer,
    Context,
    ModifyCharacteristics,
    RemoveProduct,
    Renew,
    Request,
    TerminateProduct,
)
from odedelta.outputs.html import to_html
from odedelta.outputs.json import change_dict as to_dict
from odedelta.outputs.json import qualification_dict
from odedelta.outputs.report import explain, explain_qualification
from odedelta.outputs.tmf622 import product_order as to_tmf622
from odedelta.outputs.tmf679 import qualification_document as to_tmf679
from odedelta.rules import Rulebook, RuleError

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
