"""Running a Lambda handler in this process, as the Lambda service would invoke it."""

import contextvars
import importlib
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

Handler = Callable[[dict[str, Any], Any], Any]
# (handler string, CPU seconds of the invocation's thread)
InvocationObserver = Callable[[str, float], None]

# The function whose handler is running on this thread (the benchmark attributes AWS calls by it).
current_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_function", default=None)


@dataclass
class LocalLambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_ms: int = 30_000
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_ms


def function_name_of(name_or_arn: str) -> str:
    """'arn:aws:lambda:region:account:function:name[:qualifier]' or 'name' -> 'name'."""
    return name_or_arn.split(":")[6] if name_or_arn.startswith("arn:") else name_or_arn


def resolve_handler(handler: str) -> Handler:
    """'package.module.function' (the Lambda handler string) -> the callable."""
    module_name, _, attribute = handler.rpartition(".")
    function: Handler = getattr(importlib.import_module(module_name), attribute)
    return function


_metrics_lock = threading.RLock()
_GUARDED_METRIC_METHODS = ("add_metric", "add_dimension", "add_metadata", "flush_metrics", "clear_metrics")


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        with _metrics_lock:
            return method(*args, **kwargs)

    guarded._omnihub_guarded = True  # type: ignore[attr-defined]
    return guarded


def guard_shared_metrics() -> None:
    """Make Powertools' metric set safe for handlers running on many threads at once (idempotent).

    Lambda runs one invocation at a time per environment, so Powertools keeps one metric set per process. Here
    every function runs in one process: without a lock, one invocation's flush could empty the set between
    another's emptiness check and its serialisation, and fail that handler with "Must contain at least one
    metric" (a workflow step then ended its order FAILED). Under the lock an invocation may print a metric
    another one added; locally that only moves a line of output."""
    for name in _GUARDED_METRIC_METHODS:
        method = vars(AmazonCloudWatchEMFProvider)[name]
        if not getattr(method, "_omnihub_guarded", False):
            setattr(AmazonCloudWatchEMFProvider, name, _guarded(method))


class LocalLambdaService:
    """Function name -> handler string, and invocation in-process."""

    def __init__(self, handlers: Mapping[str, str] | None = None) -> None:
        guard_shared_metrics()
        self._handlers: dict[str, str] = dict(handlers or {})
        self._resolved: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self.observers: list[InvocationObserver] = []

    def register(self, function_name: str, handler: str) -> None:
        with self._lock:
            self._handlers[function_name] = handler
            self._resolved.pop(function_name, None)

    def handler_string(self, function_name_or_arn: str) -> str:
        return self._handlers[function_name_of(function_name_or_arn)]

    def invoke(self, function_name_or_arn: str, event: dict[str, Any]) -> Any:
        name = function_name_of(function_name_or_arn)
        with self._lock:
            handler = self._resolved.get(name)
            if handler is None:
                handler = self._resolved[name] = resolve_handler(self._handlers[name])
        token = current_function.set(self._handlers[name])
        started = time.thread_time()
        try:
            return handler(event, LocalLambdaContext(function_name=name))
        finally:
            current_function.reset(token)
            for observer in self.observers:
                observer(self._handlers[name], time.thread_time() - started)
