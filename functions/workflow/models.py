"""Inputs and outputs of the workflow steps: small, the order itself is loaded from the orders table."""

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

OrderKey = str


class StepInput(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    order_key: OrderKey = Field(min_length=1)


class PersistInput(StepInput):
    execution_arn: str | None = None


class MarkInput(StepInput):
    state: str = Field(pattern=r"^[A-Z_]+$")
    reason: str = ""
    audit: dict[str, Any] | None = None
    released: bool | None = None
    error: dict[str, Any] | None = None
    alert: str | None = Field(default=None, pattern=r"^[A-Za-z]+$")  # a metric an alarm watches


class RequestInput(StepInput):
    task_token: str = Field(min_length=1)
    node_id: str | None = None


class ShipmentRecord(BaseModel):
    """What the shipment API hands the waiting workflow (SendTaskSuccess output) and stores on the order."""

    model_config = ConfigDict(frozen=True)

    fulfilment_id: str
    node_id: str | None = None
    carrier_code: str = Field(min_length=1, max_length=32)
    tracking_no: str = Field(min_length=1, max_length=64)
    shipped_at: AwareDatetime


class WriteBackInput(StepInput):
    shipment: ShipmentRecord


class HoldInput(StepInput):
    task_token: str = Field(min_length=1)
    hold_seconds: int = Field(gt=0)


class ReviewVerdict(BaseModel):
    """What the review API hands the waiting workflow (SendTaskSuccess output)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision: Literal["APPROVE", "REJECT"]
    reason: str = Field(min_length=3, max_length=500)
    reviewer: str = Field(min_length=1)
    decided_at: AwareDatetime
