"""Every Lambda the stack deploys, as one list: the catalog's functions plus each connector's webhook and poller.

Connector functions are derived from `connectors.registry.manifests()`, so adding a connector package adds
its function, route, schedule and secret with no change here.
"""

from dataclasses import dataclass
from enum import StrEnum

from connectors.registry import manifests
from connectors.sdk.manifest import ConnectorManifest
from functions.catalog import FUNCTIONS, Access, FunctionSpec
from infra_cdk.naming import pascal


class Kind(StrEnum):
    CATALOG = "catalog"
    WEBHOOK = "webhook"
    POLLER = "poller"


class Grant(StrEnum):
    """What a connector function needs beyond the catalog's `Access` values (infra-only grants)."""

    RAW_WRITE = "raw:write"  # its own `{channel}/` prefix of the raw bucket
    CHECKPOINTS = "checkpoints:rw"  # poll checkpoints
    OWN_CHANNEL_SECRET = "secrets:own-channel"


Permission = Access | Grant

CONNECTOR_ACCESS: tuple[Permission, ...] = (
    Access.ORDERS_READ,
    Access.ORDERS_WRITE,
    Access.BUS_PUT,
    Grant.RAW_WRITE,
    Grant.OWN_CHANNEL_SECRET,
)

WEBHOOK_PATH = "/webhooks/{channel}"


@dataclass(frozen=True)
class LambdaSpec:
    name: str  # PascalCase; the construct id and the prefix of every logical id of this function
    handler: str
    description: str
    access: frozenset[Permission]
    kind: Kind
    timeout_seconds: int = 30
    memory_mb: int = 512
    channel: str | None = None
    in_state_machine: bool = False
    api_routes: tuple[str, ...] = ()
    public_routes: tuple[str, ...] = ()  # no IAM auth: the function verifies the platform's signature
    consumes: tuple[str, ...] = ()
    poll_every_minutes: int | None = None

    @property
    def needs_state_machine_arn(self) -> bool:
        return bool(self.access & {Access.STATES_START, Access.STATES_CALLBACK})


def from_catalog(spec: FunctionSpec) -> LambdaSpec:
    return LambdaSpec(
        name=spec.name,
        handler=spec.handler,
        description=spec.description,
        access=frozenset(spec.access),
        kind=Kind.CATALOG,
        timeout_seconds=spec.timeout_seconds,
        memory_mb=spec.memory_mb,
        in_state_machine=spec.in_state_machine,
        api_routes=spec.api_routes,
        consumes=spec.consumes,
    )


def from_manifest(manifest: ConnectorManifest) -> list[LambdaSpec]:
    channel = manifest.channel
    found: list[LambdaSpec] = []
    if manifest.webhook_handler:
        found.append(
            LambdaSpec(
                name=f"{pascal(channel)}Webhook",
                handler=manifest.webhook_handler,
                description=f"{manifest.display_name} webhook: verifies the signature, archives, ingests",
                access=frozenset(CONNECTOR_ACCESS),
                kind=Kind.WEBHOOK,
                channel=channel,
                public_routes=tuple(
                    f"{method} {WEBHOOK_PATH.format(channel=channel)}" for method in manifest.webhook_methods
                ),
            )
        )
    if manifest.poll_handler:
        found.append(
            LambdaSpec(
                name=f"{pascal(channel)}Poller",
                handler=manifest.poll_handler,
                description=f"{manifest.display_name} poller: pulls changed orders since the checkpoint",
                access=frozenset((*CONNECTOR_ACCESS, Grant.CHECKPOINTS)),
                kind=Kind.POLLER,
                channel=channel,
                timeout_seconds=120,
                poll_every_minutes=manifest.poll_every_minutes,
            )
        )
    return found


def all_specs() -> list[LambdaSpec]:
    specs = [from_catalog(spec) for spec in FUNCTIONS]
    for manifest in manifests().values():
        specs.extend(from_manifest(manifest))
    names = [spec.name for spec in specs]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ValueError(f"function names must be unique, got duplicates {sorted(duplicates)}")
    return specs
