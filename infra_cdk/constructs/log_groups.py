"""Log groups built one way: explicit retention from `omnihub:log-retention-days`, fixed logical id."""

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra_cdk.config import HubConfig
from infra_cdk.naming import pin_logical_id

RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
}


def retention(days: int) -> logs.RetentionDays:
    try:
        return RETENTION[days]
    except KeyError as exc:
        raise ValueError(f"log retention must be one of {sorted(RETENTION)} days, got {days}") from exc


def log_group(scope: Construct, logical_id: str, *, config: HubConfig, name: str | None = None) -> logs.LogGroup:
    group = logs.LogGroup(
        scope,
        logical_id,
        log_group_name=name,
        retention=retention(config.log_retention_days),
        removal_policy=RemovalPolicy.DESTROY,
    )
    pin_logical_id(group, logical_id)
    return group
