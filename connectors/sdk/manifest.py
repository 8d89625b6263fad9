"""A connector's manifest: what the CDK app and the local hub need to deploy and run it.

Each connector package defines `MANIFEST` in its `__init__.py` without importing anything heavy, so that
discovering connectors costs nothing at Lambda cold start or synth time.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ConnectorManifest:
    channel: str
    display_name: str
    connector_class: str  # "connectors.douyin.connector:DouyinConnector"  (module:attribute)
    api_base_url: str  # the platform's production gateway
    webhook_handler: str | None = None  # Lambda handler string: "connectors.douyin.handler.lambda_handler"
    webhook_methods: tuple[str, ...] = ("POST",)  # add "GET" for platforms that verify the URL with a GET
    poll_handler: str | None = None
    poll_every_minutes: int = 5
    simulator: str | None = None  # "connectors.douyin.simulator:DouyinSimulator" (a PlatformSimulator)
