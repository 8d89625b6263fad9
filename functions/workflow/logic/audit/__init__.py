"""Order audit: risk rules as versioned data, each hit recorded with its rule, weight and reason.

The rules file (`functions/workflow/logic/audit_rules.json`, or `OMNIHUB_AUDIT_RULES_FILE`) is validated by
pydantic when loaded; its sha256 is recorded with every decision, so a decision can be traced to the exact
rules that produced it and a rule change can be replayed against past orders. `docs/audit-rules.md` lists
the rule kinds and their parameters.

Outcome: the score (sum of hit weights) against `review_score`/`reject_score`, raised by the strongest
`forces` among the hits. Blacklists and the history keys are sha256 hashes of `"{channel}:{value}"`, never
plaintext. Window rules read an `AuditHistory` (recent orders sharing the address, device or buyer); without
one they do not fire and the decision records that history was unavailable.
"""

from functions.workflow.logic.audit.engine import AuditDecision, audit, decide
from functions.workflow.logic.audit.history import (
    AuditHistory,
    HistoryKey,
    PastOrder,
    RiskKeys,
    history_among,
    order_time,
    past_order,
    risk_keys,
    subject_hash,
)
from functions.workflow.logic.audit.ruleset import (
    DEFAULT_RULES_FILE,
    RULES_FILE_ENV,
    AuditRulesInvalid,
    Rule,
    RuleSet,
    load_rules,
    parse_rules,
)

__all__ = [
    "DEFAULT_RULES_FILE",
    "RULES_FILE_ENV",
    "AuditDecision",
    "AuditHistory",
    "HistoryKey",
    "AuditRulesInvalid",
    "PastOrder",
    "RiskKeys",
    "Rule",
    "RuleSet",
    "audit",
    "decide",
    "history_among",
    "load_rules",
    "order_time",
    "parse_rules",
    "past_order",
    "risk_keys",
    "subject_hash",
]
