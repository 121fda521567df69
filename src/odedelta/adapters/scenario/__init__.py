"""Scenario files: how product managers test catalogs (and rules) without writing Python.

The file format is a public contract (reference/scenario-files.md). A module per job: :mod:`.format` (the file format's
strict models and JSON schema), :mod:`.reader` (finding and reading the files), :mod:`.runner` (each scenario through
the engine, its orders validated against the official TMF622 v4 and v5 schemas), :mod:`.comparisons` (every
difference from what the scenario expects), :mod:`.results` and :mod:`.junit` (the run's report as text, JSON and
JUnit XML). Everything is importable from here.
"""

from odedelta.adapters.scenario.comparisons import (
    compare,
    compare_lines,
    compare_notices,
    compare_partner_orders,
    compare_qualification,
    compare_refusal,
    compare_rollup,
    compare_settlement,
    compare_sla,
    compare_terms,
)
from odedelta.adapters.scenario.format import (
    SCHEMA_FILE,
    SCHEMA_VERSION,
    Expect,
    ExpectedCandidate,
    ExpectedItem,
    ExpectedLine,
    ExpectedNotice,
    ExpectedPartnerItem,
    ExpectedPartnerOrder,
    ExpectedPromotions,
    ExpectedReason,
    ExpectedRecommendation,
    ExpectedRecurring,
    ExpectedRollUp,
    ExpectedSettlement,
    ExpectedSla,
    ExpectedTerm,
    OrderState,
    PartnerEvent,
    Query,
    Scenario,
    ScenarioFile,
    SlaMeasure,
    json_schema,
)
from odedelta.adapters.scenario.junit import junit_xml
from odedelta.adapters.scenario.reader import read_scenario_file, scenario_files
from odedelta.adapters.scenario.results import Outcome, Run
from odedelta.adapters.scenario.runner import ORDER_SCHEMAS, Runner, partner_events

__all__ = [
    "ORDER_SCHEMAS",
    "SCHEMA_FILE",
    "SCHEMA_VERSION",
    "Expect",
    "ExpectedCandidate",
    "ExpectedItem",
    "ExpectedLine",
    "ExpectedNotice",
    "ExpectedPartnerItem",
    "ExpectedPartnerOrder",
    "ExpectedPromotions",
    "ExpectedReason",
    "ExpectedRecommendation",
    "ExpectedRecurring",
    "ExpectedRollUp",
    "ExpectedSettlement",
    "ExpectedSla",
    "ExpectedTerm",
    "OrderState",
    "Outcome",
    "PartnerEvent",
    "Query",
    "Run",
    "Runner",
    "Scenario",
    "ScenarioFile",
    "SlaMeasure",
    "compare",
    "compare_lines",
    "compare_notices",
    "compare_partner_orders",
    "compare_qualification",
    "compare_refusal",
    "compare_rollup",
    "compare_settlement",
    "compare_sla",
    "compare_terms",
    "json_schema",
    "junit_xml",
    "partner_events",
    "read_scenario_file",
    "scenario_files",
]
