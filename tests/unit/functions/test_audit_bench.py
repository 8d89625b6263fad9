"""The audit benchmark runs the packaged rules over its sample and reports figures (no timing asserted here)."""

from functions.workflow.logic.audit import load_rules
from localhub.bench_audit import run, sample


def test_bench_reports_per_audit_cpu_for_every_enabled_rule():
    figures = run(iterations=5)

    assert figures["rules"] == len(load_rules().active) >= 40
    assert figures["cpu_ms_per_audit"] > 0 and figures["cpu_ms_per_audit_without_history"] > 0
    assert figures["meets_goal"] == (figures["cpu_ms_per_audit"] <= figures["goal_ms"])
    # the sample exercises the window rules: its history is not empty and some of them hit
    order, others = sample()
    assert figures["history_orders"] > 0 and len(others) == 20
    assert {"many-buyers-one-address", "many-accounts-one-device"} <= set(figures["hits"])
