"""`omnihub replay` (localhub.replay): files in, a report out, clear exit-2 errors, no AWS."""

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

import hubcore.aws
from functions.workflow.logic.audit import DEFAULT_RULES_FILE, load_rules
from functions.workflow.logic.replay import Setup, derived_stock, parse_orders, replay
from functions.workflow.logic.routing import load_network, load_policy
from functions.workflow.logic.routing.policy import DEFAULT_POLICY_FILE
from localhub.replay import main

SAMPLES = Path(__file__).parents[3] / "events" / "replay"
ORDERS = str(SAMPLES / "orders.jsonl")
RULES = str(SAMPLES / "audit_rules.candidate.json")
POLICY = str(SAMPLES / "routing_policy.candidate.json")


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replay reads files only: any AWS client it tried to create would fail the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("replay must not call AWS")

    monkeypatch.setattr(boto3, "client", refuse)
    monkeypatch.setattr(boto3.session.Session, "client", refuse)
    monkeypatch.setattr(hubcore.aws, "client", refuse)


def test_json_report_is_the_comparison_of_the_files(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    assert main(["--orders", ORDERS, "--rules", RULES, "--policy", POLICY, "--format", "json", "--out", str(out)]) == 0

    network = load_network()
    expected = replay(
        parse_orders(Path(ORDERS).read_text(encoding="utf-8")).orders,
        baseline=Setup(load_rules(str(DEFAULT_RULES_FILE)), load_policy(str(DEFAULT_POLICY_FILE))),
        candidate=Setup(load_rules(RULES), load_policy(POLICY)),
        network=network,
        available=derived_stock(network),
        stock_label="",
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["changes"] == json.loads(expected.model_dump_json())["changes"]
    assert report["before"] == json.loads(expected.before.model_dump_json())
    assert report["candidate_rules"].startswith("2026-12-08.1#")


def test_table_report_names_totals_loads_and_each_changed_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--orders", ORDERS, "--rules", RULES, "--policy", POLICY, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert main(["--orders", ORDERS, "--rules", RULES, "--policy", POLICY]) == 0
    text = capsys.readouterr().out

    assert "REVIEW rate" in text and "REJECT rate" in text and "split rate" in text
    assert "promised later than the SLA" in text and "yuan" in text
    assert "Load per node" in text and "WH-HZ" in text
    assert f"Decisions that differ: {len(report['changes'])}" in text
    for change in report["changes"]:
        assert change["order_key"] in text
    added = {hit["rule_id"] for change in report["changes"] for hit in change["hits_added"]}
    assert added and all(f"+ {rule_id}" in text for rule_id in added)


def test_without_candidates_nothing_changes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--orders", ORDERS, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["changes"] == [] and report["before"] == report["after"]


def test_an_invalid_rules_file_is_exit_2_with_the_validation_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = json.loads(Path(RULES).read_text(encoding="utf-8"))
    rules["rules"][0]["weight"] = -1
    bad = tmp_path / "rules.json"
    bad.write_text(json.dumps(rules), encoding="utf-8")

    assert main(["--orders", ORDERS, "--rules", str(bad)]) == 2

    err = capsys.readouterr().err
    assert "rules.0" in err and "weight" in err and str(bad) in err
    assert "Traceback" not in err


def test_an_invalid_policy_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = json.loads(Path(POLICY).read_text(encoding="utf-8"))
    policy["channel_rules"]["preferred_nodes"] = {"douyin": ["WH-NOWHERE"]}
    bad = tmp_path / "policy.json"
    bad.write_text(json.dumps(policy), encoding="utf-8")

    assert main(["--orders", ORDERS, "--policy", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "WH-NOWHERE" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read the orders file"), (b"\xff\xfe\x00", "not UTF-8"), (b"[{", "not valid JSON")],
)
def test_an_unreadable_orders_file_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "orders.jsonl"
    if content is not None:
        path.write_bytes(content)
    assert main(["--orders", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_invalid_order_lines_are_skipped_and_counted_or_fail_with_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = Path(ORDERS).read_text(encoding="utf-8").splitlines()[:5]
    broken = json.loads(lines[1])
    del broken["buyer_id"]
    lines[1] = json.dumps(broken)
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert main(["--orders", str(path), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["orders_replayed"] == 4
    assert report["skipped"] == [{"record": 2, "error": "buyer_id: Field required"}]

    assert main(["--orders", str(path), "--strict"]) == 2
    assert "record 2: buyer_id: Field required" in capsys.readouterr().err


def test_a_stock_file_replaces_the_derived_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stock = tmp_path / "stock.json"
    stock.write_text(json.dumps({"KT-17L": {"WH-HZ": 1}}), encoding="utf-8")
    assert main(["--orders", ORDERS, "--stock", str(stock), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["before"]["unroutable"] > 0  # everything but a kettle has no stock now
    assert str(stock) in report["stock"]

    stock.write_text('{"KT-17L": {"WH-HZ": "many"}}', encoding="utf-8")
    assert main(["--orders", ORDERS, "--stock", str(stock)]) == 2
    assert "stock file is invalid" in capsys.readouterr().err
