"""The stock ledger's scheduled functions (sweeper, invariant check): deployed on their catalog schedule
with a role, a DLQ and retries, and run by the local hub from the same template."""

import pytest

from functions.catalog import FUNCTIONS
from localhub.topology import parse
from tests.infrastructure.conftest import Synth, ref_id

pytestmark = pytest.mark.xdist_group("cdk")

SCHEDULED = {spec.name: spec.schedule for spec in FUNCTIONS if spec.schedule}


def test_the_ledger_functions_are_scheduled_in_the_catalog():
    assert SCHEDULED == {
        "ExpireReservations": "rate(5 minutes)",
        "CheckStockLedger": "rate(15 minutes)",
        "SyncChannelStock": "rate(1 minute)",
    }


@pytest.mark.parametrize("name", sorted(SCHEDULED))
def test_each_scheduled_function_has_a_schedule_with_role_dlq_and_retries(synth: Synth, name: str):
    props = synth.resources[f"{name}Schedule"]["Properties"]

    assert props["ScheduleExpression"] == SCHEDULED[name]
    assert props["State"] == "ENABLED"
    target = props["Target"]
    assert ref_id(target["Arn"]) == f"{name}Function"
    assert ref_id(target["RoleArn"]) == f"{name}ScheduleRole"
    assert ref_id(target["DeadLetterConfig"]["Arn"]) == f"{name}ScheduleDeadLetterQueue"
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


@pytest.mark.parametrize("name", sorted(SCHEDULED))
def test_each_scheduled_function_has_an_async_dlq_and_says_it_is_scheduled(synth: Synth, name: str):
    function = synth.resources[f"{name}Function"]

    assert ref_id(function["Properties"]["DeadLetterConfig"]["TargetArn"]) == f"{name}AsyncDeadLetterQueue"
    assert function["Metadata"]["OmniHub"]["schedule"] == SCHEDULED[name]


def test_the_local_hub_runs_the_ledger_schedules_at_their_rate(synth: Synth):
    schedules = {s.logical_id: s for s in parse(synth.template).schedules}

    assert schedules["ExpireReservationsSchedule"].every_seconds == 300
    assert schedules["CheckStockLedgerSchedule"].every_seconds == 900
