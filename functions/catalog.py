"""The one description of the hub's core Lambda functions, read by the CDK app (infra_cdk).

The local hub does not read this file: it derives everything from the synthesized CloudFormation
template, so what runs locally is what CDK would deploy. Connector functions are not listed here; they
come from `connectors.registry`.
"""

from dataclasses import dataclass
from enum import StrEnum


class Access(StrEnum):
    """What a function may touch; CDK turns each into least-privilege grants."""

    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    INVENTORY_WRITE = "inventory:write"
    INVENTORY_READ = "inventory:read"
    INVENTORY_SCAN = "inventory:scan"  # the whole-ledger audit only
    IDEMPOTENCY = "idempotency"
    BUS_PUT = "bus:put"
    RAW_READ = "raw:read"
    CHANNEL_SECRETS = "secrets:channels"
    STATES_CALLBACK = "states:callback"  # SendTaskSuccess / SendTaskFailure
    STATES_START = "states:start"


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # CDK construct id and the key in the ASL substitutions (`${<name>FunctionArn}`)
    handler: str  # Lambda handler string: "module.path.lambda_handler"
    description: str
    access: tuple[Access, ...]
    timeout_seconds: int = 30
    memory_mb: int = 512
    in_state_machine: bool = False  # invoked by the order-fulfilment state machine
    api_routes: tuple[str, ...] = ()  # "GET /orders/{order_key}"
    consumes: tuple[str, ...] = ()  # detail-types delivered through an SQS queue (with DLQ)
    schedule: str | None = None  # EventBridge Scheduler expression, e.g. "rate(15 minutes)"


WORKFLOW_ACCESS = (Access.ORDERS_READ, Access.ORDERS_WRITE, Access.BUS_PUT)

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        name="OrderEvents",
        handler="functions.order_events.handler.lambda_handler",
        description="Starts the fulfilment workflow for paid orders; cancels it on cancellation or refund",
        access=(*WORKFLOW_ACCESS, Access.INVENTORY_WRITE, Access.STATES_START, Access.STATES_CALLBACK),
        consumes=("OrderReceived", "OrderUpdated"),
    ),
    FunctionSpec(
        name="PersistOrder",
        handler="functions.workflow.persist_order.lambda_handler",
        description="Workflow step: pins the order version the execution works on",
        access=WORKFLOW_ACCESS,
        in_state_machine=True,
    ),
    FunctionSpec(
        name="AuditOrder",
        handler="functions.workflow.audit_order.lambda_handler",
        description="Workflow step: risk rules, each hit recorded with its reason",
        access=WORKFLOW_ACCESS,
        in_state_machine=True,
    ),
    FunctionSpec(
        name="ReserveStock",
        handler="functions.workflow.reserve_stock.lambda_handler",
        description="Workflow step: one conditional DynamoDB transaction per order; out of stock parks it",
        access=(*WORKFLOW_ACCESS, Access.INVENTORY_WRITE, Access.INVENTORY_READ),
        in_state_machine=True,
    ),
    FunctionSpec(
        name="RequestFulfilment",
        handler="functions.workflow.request_fulfilment.lambda_handler",
        description="Workflow step: stores the task token and asks the warehouse to ship",
        access=WORKFLOW_ACCESS,
        in_state_machine=True,
    ),
    FunctionSpec(
        name="WriteBack",
        handler="functions.workflow.write_back.lambda_handler",
        description="Workflow step: writes the shipment back to the channel and commits the reservation",
        access=(*WORKFLOW_ACCESS, Access.INVENTORY_WRITE, Access.CHANNEL_SECRETS),
        timeout_seconds=60,
        in_state_machine=True,
    ),
    FunctionSpec(
        name="ReleaseStock",
        handler="functions.workflow.release_stock.lambda_handler",
        description="Workflow compensation: releases the reservation (idempotent)",
        access=(*WORKFLOW_ACCESS, Access.INVENTORY_WRITE),
        in_state_machine=True,
    ),
    FunctionSpec(
        name="MarkOrder",
        handler="functions.workflow.mark_order.lambda_handler",
        description="Workflow step: records a terminal or parking state (rejected, held, backordered, ...)",
        access=WORKFLOW_ACCESS,
        in_state_machine=True,
    ),
    FunctionSpec(
        name="HoldForReview",
        handler="functions.workflow.hold_for_review.lambda_handler",
        description="Workflow step: holds an order the audit sent to REVIEW on a task token until a person decides",
        access=(*WORKFLOW_ACCESS, Access.INVENTORY_READ, Access.INVENTORY_WRITE),
        in_state_machine=True,
    ),
    FunctionSpec(
        name="ShipmentApi",
        handler="functions.shipments.handler.lambda_handler",
        description="Warehouse callback: confirms a shipment and resumes the waiting workflow",
        access=(Access.ORDERS_READ, Access.ORDERS_WRITE, Access.BUS_PUT, Access.STATES_CALLBACK),
        api_routes=("POST /fulfilments/{fulfilment_id}/shipment",),
    ),
    FunctionSpec(
        name="OpsApi",
        handler="functions.ops_api.handler.lambda_handler",
        description="Read API for operators: orders with history and audit reasons, stock per SKU",
        access=(Access.ORDERS_READ, Access.INVENTORY_READ),
        api_routes=("GET /orders/{order_key}", "GET /orders/{order_key}/decision", "GET /stock/{sku}"),
    ),
    FunctionSpec(
        name="ReviewApi",
        handler="functions.reviews.handler.lambda_handler",
        description="Review API for operators: orders held for review, and approve or reject with a reason",
        access=(Access.ORDERS_READ, Access.ORDERS_WRITE, Access.STATES_CALLBACK),
        api_routes=("GET /reviews", "POST /reviews/{order_key}"),
    ),
    FunctionSpec(
        name="ExpireReservations",
        handler="functions.stock.sweeper.lambda_handler",
        description="Stock ledger sweeper: releases held reservations whose hold ran out (expiry index Query)",
        access=(Access.INVENTORY_READ, Access.INVENTORY_WRITE),
        timeout_seconds=120,
        schedule="rate(5 minutes)",
    ),
    FunctionSpec(
        name="CheckStockLedger",
        handler="functions.stock.invariant_check.lambda_handler",
        description="Stock ledger audit: reports every broken invariant (counters, held and committed sums)",
        access=(Access.INVENTORY_READ, Access.INVENTORY_SCAN),
        timeout_seconds=300,
        schedule="rate(15 minutes)",
    ),
    FunctionSpec(
        name="SyncChannelStock",
        handler="functions.stock_sync.handler.lambda_handler",
        description="Channel stock sync: allocates available stock per channel, pushes changes (debounced), "
        "reads them back and flags drift",
        access=(Access.INVENTORY_READ, Access.INVENTORY_WRITE, Access.CHANNEL_SECRETS),
        timeout_seconds=120,
        schedule="rate(1 minute)",
    ),
)

STATE_MACHINE_FILE = "functions/workflow/order_fulfilment.asl.json"
STATE_MACHINE_NAME = "order-fulfilment"


def function(name: str) -> FunctionSpec:
    return next(spec for spec in FUNCTIONS if spec.name == name)
