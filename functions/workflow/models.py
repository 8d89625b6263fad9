"""Inputs and outputs of the workflow steps: small, the order itself is loaded from the orders table."""

from typing import Any

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
