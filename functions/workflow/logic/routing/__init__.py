"""Explainable multi-objective routing: where an order ships from, split only when it must, and why.

Public API (pure, no AWS):
- `route(order_or_merge_group, network, policy, available, *, now) -> RoutingDecision`
- `explain(decision) -> str`
- `plan_merges(orders, window=None, *, policy=None, routed=()) -> MergePlan`
- `load_policy(path=None)`, `load_network(path=None)`, `check_references(policy, network)`

See docs/routing.md.
"""

from functions.workflow.logic.routing.decision import RoutingDecision, RoutingOutcome
from functions.workflow.logic.routing.engine import route
from functions.workflow.logic.routing.errors import RoutingConfigError, RoutingInputError
from functions.workflow.logic.routing.explain import explain
from functions.workflow.logic.routing.merge import MergePlan, plan_merges
from functions.workflow.logic.routing.network import Network, load_network, parse_network
from functions.workflow.logic.routing.policy import RoutingPolicy, check_references, load_policy, parse_policy

__all__ = [
    "MergePlan",
    "Network",
    "RoutingConfigError",
    "RoutingDecision",
    "RoutingInputError",
    "RoutingOutcome",
    "RoutingPolicy",
    "check_references",
    "explain",
    "load_network",
    "load_policy",
    "parse_network",
    "parse_policy",
    "plan_merges",
    "route",
]
