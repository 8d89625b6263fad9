"""Environment of a Lambda function, validated once at start-up."""

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class HubSettings(BaseSettings):
    """Names of the hub's resources; CDK sets these on every function, the local hub sets the same."""

    model_config = SettingsConfigDict(env_prefix="OMNIHUB_", frozen=True)

    orders_table: str = Field(default="omnihub-orders")
    inventory_table: str = Field(default="omnihub-inventory")
    checkpoints_table: str = Field(default="omnihub-checkpoints")
    idempotency_table: str = Field(default="omnihub-idempotency")
    raw_bucket: str = Field(default="omnihub-raw-payloads")
    event_bus: str = Field(default="omnihub-bus")
    channel_secret_prefix: str = Field(default="omnihub/channels/")
    max_webhook_bytes: int = Field(default=1_048_576)


@cache
def settings() -> HubSettings:
    return HubSettings()


def reset_settings() -> None:
    settings.cache_clear()
