"""Errors shared by every function. Each carries a machine-readable code and, where HTTP applies, a status."""


class HubError(Exception):
    code = "INTERNAL_ERROR"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EventPublishError(HubError):
    code = "EVENT_PUBLISH_FAILED"
    http_status = 503
