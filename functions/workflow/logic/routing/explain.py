"""explain(decision): a short text a person can follow (backs `GET /orders/{order_key}/decision`)."""

from functions.workflow.logic.routing.decision import RoutingDecision, RoutingOutcome


def explain(decision: RoutingDecision) -> str:
    keys = ", ".join(decision.order_keys)
    merged = f" (merged: {len(decision.order_keys)} orders)" if len(decision.order_keys) > 1 else ""
    where = " ".join(p for p in (decision.destination.province, decision.destination.city) if p)
    text = [
        f"Order {keys}{merged}: {decision.outcome.value}",
        f"  {decision.fulfilment_mode.value} to {where or 'n/a'}; policy {decision.policy_version}, "
        f"network {decision.network_version}, decided {decision.decided_at.isoformat()}",
    ]
    text += [f"- {reason}" for reason in decision.why]
    if decision.chosen is not None and decision.outcome is not RoutingOutcome.NOT_REQUIRED:
        text.append("Score of the chosen plan (lower is better):")
        for term in decision.chosen.terms:
            text.append(
                f"  {term['term'].value:<14} raw {term['raw']} {term['unit']}, normalised {term['normalised']} "
                f"× weight {term['weight']} = {term['contribution']}  ({term['detail']})"
            )
        text.append(f"  {'total':<14} {decision.chosen.score}")
    if len(decision.options) > 1:
        ranking = "; ".join(f"#{o.rank} {o.label} {o.score}" for o in decision.options[:5])
        text.append(f"Best plans: {ranking}")
    return "\n".join(text)
