"""Environment of a Lambda function, validated once at start-up.

A plain pydantic model over `os.environ` rather than pydantic-settings: the latter adds ~60 ms to every
cold start for features (dotenv, secrets dirs, nested parsing) the hub does not use.
"""

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field

ENV_PREFIX = "OMNIHUB_"


class HubSettings(BaseModel):
    """Names of the hub's resources; CDK sets these on every function, the local hub sets the same."""

    model_config = ConfigDict(frozen=True)

    orders_table: str = Field(default="omnihub-orders")
    inventory_table: str = Field(default="omnihub-inventory")
    checkpoints_table: str = Field(default="omnihub-checkpoints")
    idempotency_table: str = Field(default="omnihub-idempotency")
    raw_bucket: str = Field(default="omnihub-raw-payloads")
    event_bus: str = Field(default="omnihub-bus")
    state_machine_arn: str = Field(default="")
    channel_secret_prefix: str = Field(default="omnihub/channels/")
    max_webhook_bytes: int = Field(default=1_048_576, gt=0)

    @classmethod
    def from_environ(cls) -> "HubSettings":
        values = {
            name: os.environ[f"{ENV_PREFIX}{name.upper()}"]
            for name in cls.model_fields
            if f"{ENV_PREFIX}{name.upper()}" in os.environ
        }
        return cls.model_validate(values)


@cache
def settings() -> HubSettings:
    return HubSettings.from_environ()


def reset_settings() -> None:
    settings.cache_clear()
