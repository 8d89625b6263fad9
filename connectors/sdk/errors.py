"""Connector errors, each with the HTTP status and machine-readable code a caller receives."""

from hubcore.errors import HubError


class ConnectorError(HubError):
    code = "CONNECTOR_ERROR"
    http_status = 500


class SignatureMissing(ConnectorError):
    code = "SIGNATURE_MISSING"
    http_status = 401


class SignatureInvalid(ConnectorError):
    code = "SIGNATURE_INVALID"
    http_status = 401


class TimestampStale(ConnectorError):
    code = "TIMESTAMP_STALE"
    http_status = 401


class MalformedPayload(ConnectorError):
    code = "MALFORMED_PAYLOAD"
    http_status = 400


class PayloadTooLarge(ConnectorError):
    code = "PAYLOAD_TOO_LARGE"
    http_status = 413


class UnknownChannel(ConnectorError):
    code = "UNKNOWN_CHANNEL"
    http_status = 404


class OrderInvalid(ConnectorError):
    """The signature is good but the order fails validation; the payload is archived for inspection."""

    code = "ORDER_INVALID"
    http_status = 422


class PlatformUnavailable(ConnectorError):
    """Transport error, 429 or 5xx after retries: transient, the caller should retry later."""

    code = "PLATFORM_UNAVAILABLE"
    http_status = 503


class PlatformRejected(ConnectorError):
    """The platform answered with a business error; retrying the same call will not help."""

    code = "PLATFORM_REJECTED"
    http_status = 502

    def __init__(self, message: str, *, platform_code: str | None = None) -> None:
        super().__init__(message)
        self.platform_code = platform_code
