"""cdk-nag (AwsSolutions) passes: no unacknowledged finding, every acknowledgement reasoned and used."""

import pytest
from aws_cdk import Validations
from aws_cdk.assertions import Annotations, Match

from tests.infrastructure.conftest import Synth

pytestmark = pytest.mark.xdist_group("cdk")


def nag_report(synth: Synth) -> dict:
    (report,) = [r for r in synth.validation_report()["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    return report


def acknowledgements(synth: Synth) -> dict[tuple[str, str], str]:
    found = {}
    for construct in synth.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                found.update({(construct.node.path, rule): reason for rule, reason in entry.data.items()})
    return found


def test_aws_solutions_pack_reports_no_unacknowledged_finding(synth: Synth) -> None:
    report = nag_report(synth)
    assert report["violations"] == []
    assert report["conclusion"] == "success"


def test_no_error_annotation_from_the_pack(synth: Synth) -> None:
    errors = Annotations.from_stack(synth.stack).find_error("*", Match.string_like_regexp("AwsSolutions-.*"))
    assert errors == []


def test_every_acknowledgement_has_a_reason(synth: Synth) -> None:
    acks = acknowledgements(synth)
    assert acks
    assert all(len(reason.strip()) > 20 for reason in acks.values())
    assert all(v["reason"].strip() for v in nag_report(synth)["suppressedViolations"])


def test_every_acknowledgement_matches_a_finding(synth: Synth) -> None:
    used = {(v["acknowledgedAt"], v["acknowledgedId"]) for v in nag_report(synth)["suppressedViolations"]}
    assert set(acknowledgements(synth)) - used == set()
