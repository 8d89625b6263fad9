"""One Logger and Metrics for every function, with personal data masked before it is written.

There is deliberately no module-level Powertools Tracer: constructing one imports and patches the X-Ray
SDK (about 250 ms of cold start here, more than boto3 itself); Lambda's active tracing still records
each invocation.

Powertools' DataMasking.erase walks JSONPath expressions (about 1 ms per record here) and raises when a
field is absent, which a log formatter cannot afford; the masking below is a cheap key-based walk instead.
"""

import logging
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import PowertoolsLogRecord

MASK = "*****"
PII_KEYS = frozenset(
    {
        "name",
        "receiver_name",
        "name_cipher",
        "name_masked",
        "phone",
        "mobile",
        "tel",
        "receiver_mobile",
        "receiver_phone",
        "phone_cipher",
        "phone_masked",
        "address",
        "receiver_address",
        "address_cipher",
        "address_masked",
        "detail",
        "post_receiver",
        "post_tel",
        "encrypt_post_receiver",
        "encrypt_post_tel",
        "encrypt_detail",
        "mask_post_receiver",
        "mask_post_tel",
        "match_token",
        "oaid",
    }
)


def mask_pii(value: Any) -> Any:
    """Return a copy of `value` with every personal-data field replaced by a fixed mask."""
    if isinstance(value, Mapping):
        return {k: (MASK if k in PII_KEYS and v not in (None, "") else mask_pii(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_pii(item) for item in value]
    return value


class PiiMaskingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: dict[str, Any] | PowertoolsLogRecord) -> str:
        return super().serialize(mask_pii(log))


# httpx logs every request URL at INFO, and some platforms (Douyin, TOP) sign with tokens in the query.
logging.getLogger("httpx").setLevel(logging.WARNING)

logger = Logger(service="omnihub", logger_formatter=PiiMaskingFormatter())
metrics = Metrics(namespace="OmniHub", service="omnihub")
