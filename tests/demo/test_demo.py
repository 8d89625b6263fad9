"""The README's main command, smaller: every planted anomaly of the demo, end to end, must end as planned.

Kept apart from `tests/e2e`, whose package-wide local hub would share this process's moto with the demo's own.
"""

from rich.console import Console

from localhub import demo
from localhub.scenario import Anomaly, Plan


def test_a_100_order_demo_with_every_planted_anomaly_ends_as_planned(monkeypatch):
    plans: list[Plan] = []
    build_plan = demo.build_plan
    monkeypatch.setattr(demo, "build_plan", lambda *a, **kw: plans.append(build_plan(*a, **kw)) or plans[-1])
    console = Console(record=True, width=120)

    report = demo.run_demo(orders=100, seed=7, console=console)

    assert report.surprises == [], console.export_text()
    assert report.ok
    assert {planned.anomaly for planned in plans[0].orders} == set(Anomaly)
    assert {report.states[key] for key in report.states} >= {"DONE", "CANCELLED", "BACKORDERED", "REJECTED", "HELD"}
    assert len(report.states) == 100
