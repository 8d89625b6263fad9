"""Alarms to an encrypted SNS topic: any message in any DLQ, any failed or timed-out workflow execution, and
the hub's own alerts (metrics the functions emit, e.g. `ReviewHoldExpired` when nobody reviewed a held order)."""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra_cdk.naming import pin_logical_id

PERIOD = Duration.minutes(1)
# Metrics the hub's functions emit (Powertools EMF, namespace OmniHub, dimension service=omnihub) as alerts.
HUB_ALERTS = {
    "ReviewHoldExpired": "an order held for review expired undecided; its stock was released",
    "ExpiredHolds": "the sweeper released reservations whose workflow never settled them",
    "LedgerViolations": "the stock ledger check found a broken invariant",
    "ChannelStockDriftUnresolved": "a channel keeps showing another stock figure than the one pushed; "
    "corrections stopped (fix it on the platform or acknowledge)",
}


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dead_letter_queues: list[sqs.Queue],
        state_machine: sfn.StateMachine,
    ) -> None:
        super().__init__(scope, construct_id)
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description="OmniHub alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        pin_logical_id(key, "AlarmTopicKey")
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy, "*" is this key
            )
        )
        self.topic = sns.Topic(self, "AlarmTopic", display_name="OmniHub alarms", master_key=key, enforce_ssl=True)
        pin_logical_id(self.topic, "AlarmTopic")
        self._action = cw_actions.SnsAction(self.topic)
        for queue in dead_letter_queues:
            self._dlq_alarm(queue)
        self._alarm(
            "OrderFulfilmentFailedAlarm",
            state_machine.metric_failed(period=PERIOD, statistic="Sum"),
            "order-fulfilment executions failed",
        )
        self._alarm(
            "OrderFulfilmentTimedOutAlarm",
            state_machine.metric_timed_out(period=PERIOD, statistic="Sum"),
            "order-fulfilment executions timed out",
        )
        for metric_name, what in HUB_ALERTS.items():
            metric = cloudwatch.Metric(
                namespace="OmniHub",
                metric_name=metric_name,
                dimensions_map={"service": "omnihub"},
                period=PERIOD,
                statistic="Sum",
            )
            self._alarm(f"{metric_name}Alarm", metric, what)

    def _dlq_alarm(self, queue: sqs.Queue) -> None:
        queue_id = queue.node.id  # the queue's pinned logical id
        self._alarm(
            f"{queue_id}Alarm",
            queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
            f"messages waiting in dead-letter queue {queue_id}",
        )

    def _alarm(self, logical_id: str, metric: cloudwatch.Metric, what: str) -> None:
        alarm = metric.create_alarm(
            self,
            logical_id,
            alarm_description=f"OmniHub: {what}",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        pin_logical_id(alarm, logical_id)
