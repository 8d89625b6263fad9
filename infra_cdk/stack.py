"""The OmniHub stack: composes one construct per concern and runs cdk-nag. No resources are defined here."""

from typing import Any

from aws_cdk import Stack, Tags, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from functions.catalog import STATE_MACHINE_NAME
from infra_cdk.config import HubConfig
from infra_cdk.constructs.access import HubResources
from infra_cdk.constructs.api import HubApi
from infra_cdk.constructs.bus import HubBus
from infra_cdk.constructs.events import EventSubscriptions
from infra_cdk.constructs.functions import HubFunctions
from infra_cdk.constructs.monitoring import Monitoring
from infra_cdk.constructs.packaging import LambdaPackaging
from infra_cdk.constructs.schedules import PollSchedules
from infra_cdk.constructs.secrets import ChannelSecrets
from infra_cdk.constructs.storage import Storage
from infra_cdk.constructs.workflow import OrderWorkflow
from infra_cdk.specs import all_specs

SERVICE = "omnihub"


class OmniHubStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="OmniHub omni-channel order hub", **kwargs)
        config = HubConfig.from_context(self)
        specs = all_specs()
        state_machine_name = f"{self.stack_name}-{STATE_MACHINE_NAME}"

        self.storage = Storage(self, "Storage", config=config)
        self.bus = HubBus(self, "Bus")
        self.secrets = ChannelSecrets(self, "Secrets")
        resources = HubResources(
            orders=self.storage.orders,
            inventory=self.storage.inventory,
            checkpoints=self.storage.checkpoints,
            idempotency=self.storage.idempotency,
            raw_bucket=self.storage.raw_bucket,
            raw_key=self.storage.raw_key,
            bus=self.bus.bus,
            channel_secrets=dict(self.secrets.by_channel),
            state_machine_name=state_machine_name,
        )
        self.functions = HubFunctions(
            self,
            "Functions",
            specs=specs,
            resources=resources,
            packaging=LambdaPackaging(self, "Packaging", config=config),
            config=config,
        )
        self.workflow = OrderWorkflow(
            self,
            "Workflow",
            state_machine_name=state_machine_name,
            asl_file=config.state_machine_file,
            functions={spec.name: self.functions.by_name[spec.name] for spec in specs if spec.in_state_machine},
            config=config,
        )
        self.events = EventSubscriptions(
            self, "Events", bus=self.bus.bus, specs=specs, functions=self.functions.by_name
        )
        self.api = HubApi(self, "Api", specs=specs, functions=self.functions.by_name, config=config)
        self.schedules = PollSchedules(self, "Schedules", specs=specs, functions=self.functions.by_name)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            dead_letter_queues=[
                *self.functions.dead_letter_queues,
                *self.events.dead_letter_queues,
                *self.schedules.dead_letter_queues,
            ],
            state_machine=self.workflow.state_machine,
        )

        Tags.of(self).add("service", SERVICE)
        Validations.of(self).add_plugins(AwsSolutionsChecks(self, verbose=True))
