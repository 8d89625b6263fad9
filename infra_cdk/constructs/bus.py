"""The hub's custom EventBridge bus, with an archive for replay."""

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from constructs import Construct

from infra_cdk.naming import pin_logical_id

ARCHIVE_RETENTION = Duration.days(30)


class HubBus(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.bus = events.EventBus(self, "EventBus", event_bus_name=f"{stack.stack_name}-bus")
        pin_logical_id(self.bus, "EventBus")
        self.archive = self.bus.archive(
            "Archive",
            description="Every event on the OmniHub bus, for replay after a consumer fix",
            event_pattern=events.EventPattern(account=[stack.account]),
            retention=ARCHIVE_RETENTION,
        )
        pin_logical_id(self.archive, "EventBusArchive")
