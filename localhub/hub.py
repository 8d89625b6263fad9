"""OmniHub on one machine: the CDK template's resources in moto, the real handlers in-process."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.sdk.poll_handler import POLL_SAFETY_LAG_ENV, POLL_WINDOW_OVERLAP_ENV
from connectors.sdk.simulator import PlatformSimulator
from hubcore.aws import reset_clients
from hubcore.settings import reset_settings
from localhub import moto_shims
from localhub.embedded_aws import EmbeddedAws, LocalResources, provision
from localhub.front_door import FrontDoor, LocalRoute
from localhub.lambda_runtime import LocalLambdaService
from localhub.pollers import QueuePoller, ScheduleRunner
from localhub.topology import Topology, load
from localhub.warehouse import SimulatedWarehouse

SECRET_PREFIX = "omnihub/channels/"
# The simulators' order lists are consistent at once; the platforms' indexes lag (hence a minute or two of safety
# lag and a minute of window overlap in production, with polls minutes apart). Locally the pollers fire seconds
# apart, so a few seconds of each keep them honest without the wait or a minute of re-reads on every fire.
LOCAL_POLL_SETTINGS = {POLL_SAFETY_LAG_ENV: "3", POLL_WINDOW_OVERLAP_ENV: "3"}


@dataclass
class LocalHub:
    simulators: Mapping[str, PlatformSimulator] = field(default_factory=dict)
    template_path: Path | None = None
    run_schedules: bool = True
    warehouse_delay_seconds: float = 0.2
    serve_aws: bool = False  # True: moto listens on a port (for the AWS CLI); False: in-process, faster

    def start(self, front_door_port: int = 0) -> None:
        self.topology: Topology = load(self.template_path)
        self.aws = EmbeddedAws(serve=self.serve_aws)
        self.aws.start()
        for channel, simulator in self.simulators.items():
            os.environ[f"OMNIHUB_{channel.upper()}_API_URL"] = simulator.base_url
        self._set_env = [name for name in LOCAL_POLL_SETTINGS if name not in os.environ]
        for name in self._set_env:
            os.environ[name] = LOCAL_POLL_SETTINGS[name]
        self.resources: LocalResources = provision(self.aws, self.topology, self._secrets())
        self._export_function_environment()
        self.lambdas = LocalLambdaService(self.resources.function_handlers)
        moto_shims.install(self.lambdas.invoke)
        self.queue_pollers = self._queue_pollers()
        self.schedules = self._schedules()
        self.front_door = FrontDoor(self._routes(), self.lambdas.invoke)
        self.url = self.front_door.start(port=front_door_port)
        self.warehouse = SimulatedWarehouse(
            self.aws.client("sqs"),
            self.aws.client("events"),
            os.environ["OMNIHUB_EVENT_BUS"],
            self.url,
            delay_seconds=self.warehouse_delay_seconds,
        )
        for poller in self.queue_pollers:
            poller.start()
        if self.run_schedules:
            for schedule in self.schedules:
                schedule.start()
        self.warehouse.start()

    def stop(self) -> None:
        for schedule in self.schedules:
            schedule.stop()
        for poller in self.queue_pollers:
            poller.stop()
        self.warehouse.stop()
        self.front_door.stop()
        moto_shims.uninstall()
        self.aws.stop()
        for name in getattr(self, "_set_env", ()):
            os.environ.pop(name, None)

    def fire_schedules(self, *, pollers_only: bool = False) -> list[Any]:
        """Run every scheduled function once now (the demo does this instead of waiting minutes);
        `pollers_only`: just the channels' pollers, not the ledger's sweeper, audit or the stock sync."""
        chosen = [s for s in self.schedules if not pollers_only or s.schedule_arn.endswith("PollSchedule")]
        return [schedule.fire() for schedule in chosen]

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    # --- wiring derived from the template --------------------------------------------------------
    def _secrets(self) -> dict[str, dict[str, Any]]:
        secrets: dict[str, dict[str, Any]] = {}
        for channel, simulator in self.simulators.items():
            credentials = simulator.credentials()
            secrets[f"{SECRET_PREFIX}{channel}"] = {
                "app_key": credentials.app_key,
                "app_secret": credentials.app_secret,
                "shop_tokens": dict(credentials.shop_tokens),
                "extra": dict(credentials.extra),
            }
        return secrets

    def _export_function_environment(self) -> None:
        """Handlers run in this process, so the functions' (shared) environment becomes the process's."""
        for env in self.resources.function_env.values():
            for key, value in env.items():
                if key.startswith("OMNIHUB_"):
                    os.environ[key] = value
        reset_settings()
        reset_clients()

    def _queue_pollers(self) -> list[QueuePoller]:
        resolve = self.resources.resolver().resolve
        sqs = self.aws.client("sqs")
        arn_to_url = {
            self.resources.arns[q.logical_id]: self.resources.queue_urls[q.logical_id] for q in self.topology.queues
        }
        pollers = []
        for source in self.topology.event_sources:
            queue_arn = resolve(source.queue_arn_ref)
            function_name = resolve(source.function_ref)
            pollers.append(
                QueuePoller(
                    sqs, arn_to_url[queue_arn], queue_arn, function_name, source.batch_size, self.lambdas.invoke
                )
            )
        return pollers

    def _schedules(self) -> list[ScheduleRunner]:
        resolve = self.resources.resolver().resolve
        runners = []
        for schedule in self.topology.schedules:
            function_name = resolve(schedule.target_arn_ref).split(":")[6]
            arn = f"arn:aws:scheduler:us-east-1:123456789012:schedule/default/{schedule.logical_id}"
            runners.append(ScheduleRunner(function_name, schedule.every_seconds, self.lambdas.invoke, arn))
        return runners

    def _routes(self) -> list[LocalRoute]:
        resolve = self.resources.resolver().resolve
        return [
            LocalRoute(route.method, route.path, resolve(route.function_ref).split(":")[6], route.authorization)
            for route in self.topology.routes
        ]
