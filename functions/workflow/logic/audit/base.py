"""The fields every audit rule has, and the one method each rule kind implements."""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from functions.workflow.logic.audit.facts import OrderFacts
from functions.workflow.logic.audit.history import HistoryKey
from schemas.events import AuditOutcome


class RuleBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    weight: int = Field(ge=0, description="Added to the order's score when the rule hits")
    forces: AuditOutcome | None = Field(default=None, description="The least outcome a hit leads to")
    reason: str = Field(min_length=1)
    enabled: bool = True

    # Rules that look at other orders: skipped (not "missed") when the audit has no history.
    needs_history: ClassVar[bool] = False

    def evaluate(self, facts: OrderFacts) -> str | None:
        """The detail of a hit (never personal data), or None when the rule does not hit."""
        raise NotImplementedError


class WindowRule(RuleBase):
    needs_history: ClassVar[bool] = True

    window_hours: int = Field(gt=0, le=24 * 90, description="How far either side of the order to look")

    @property
    def history_key(self) -> HistoryKey:
        """Which of the order's keys the rule looks up in the history."""
        return "buyer"
