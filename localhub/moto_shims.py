"""What moto lacks for running OmniHub locally, added as small named patches of moto 5.2.5 internals.

Shims (each covered by `tests/workflows/test_moto_shims.py`):

1. `lambda_in_process` — moto's Docker-free Lambda (`LambdaSimpleBackend.invoke`) only echoes the request.
   The shim runs the real handler in this process instead: found through a dispatcher the local hub gives
   (`invoke(name_or_arn, event)`), a mapping function name → handler string, or, by default, the Handler
   string the function was created with in moto (imported lazily). An exception becomes what Lambda returns
   for an unhandled error — header `x-amz-function-error: Unhandled` and `{"errorType": <class name>,
   "errorMessage": ...}` — so a state machine's Retry/Catch match the Python exception's class name.
   Step Functions (`lambda:invoke`, `.waitForTaskToken`, whose payload carries the token), direct
   `lambda.invoke` and the SQS event-source mapping all go through it. `Event` invocations run on a thread.

Handlers run with the process environment (the local hub exports the functions' shared `OMNIHUB_*`
variables), not with each function's own `Environment`: os.environ cannot differ per thread.

Use `install(...)`/`uninstall()` or `with shims(...):`. Installing twice replaces the dispatcher.
"""

import importlib
import importlib.util
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend

from localhub.lambda_runtime import LocalLambdaContext

Invoker = Callable[[str, dict[str, Any]], Any]
Dispatch = Invoker | Mapping[str, str] | None

_lock = threading.Lock()
_original_invoke: Callable[..., Any] | None = None
_dispatch: Dispatch = None


def function_name_of(name_or_arn: str) -> str:
    """'arn:aws:lambda:region:account:function:name[:qualifier]' or 'name' -> 'name'."""
    return name_or_arn.split(":")[6] if name_or_arn.startswith("arn:") else name_or_arn


def resolve_handler(handler: str) -> Callable[[dict[str, Any], Any], Any]:
    module_name, _, attribute = handler.rpartition(".")
    function: Callable[[dict[str, Any], Any], Any] = getattr(importlib.import_module(module_name), attribute)
    return function


def _importable(handler: str) -> bool:
    top = handler.split(".", 1)[0]
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def _target(backend: LambdaSimpleBackend, function_name: str, qualifier: str | None) -> Invoker | None:
    """How to run the function in-process, or None to keep moto's echo (a function that is not ours)."""
    dispatch = _dispatch
    if dispatch is not None and not isinstance(dispatch, Mapping):
        return dispatch
    name = function_name_of(function_name)
    handler: str | None = dispatch.get(name) if isinstance(dispatch, Mapping) else None
    timeout_ms = 30_000
    try:
        function = backend.get_function(function_name, qualifier)
        handler = handler or function.handler
        timeout_ms = int(function.timeout or 30) * 1000
    except Exception:  # unknown to moto: only a registered handler can run it
        if handler is None:
            return None
    if not handler or not _importable(handler):
        return None
    resolved = handler

    def run(_: str, event: dict[str, Any]) -> Any:
        return resolve_handler(resolved)(event, LocalLambdaContext(function_name=name, timeout_ms=timeout_ms))

    return run


def _error_payload(exc: BaseException) -> bytes:
    return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode()


def _in_process_invoke(
    self: LambdaSimpleBackend,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: Any,
) -> str | bytes | None:
    target = _target(self, function_name, qualifier)
    if target is None:
        assert _original_invoke is not None
        result: str | bytes | None = _original_invoke(self, function_name, qualifier, body, headers, response_headers)
        return result
    raw = body.decode() if isinstance(body, bytes) else body
    event = json.loads(raw) if raw else {}
    if (headers or {}).get("X-Amz-Invocation-Type") == "Event":
        threading.Thread(target=_run_quietly, args=(target, function_name, event), daemon=True).start()
        return b""
    try:
        output = target(function_name, event)
    except Exception as exc:  # what Lambda reports for an unhandled error
        response_headers["x-amz-function-error"] = "Unhandled"
        return _error_payload(exc)
    return json.dumps(output, default=str).encode()


def _run_quietly(target: Invoker, function_name: str, event: dict[str, Any]) -> None:
    try:
        target(function_name, event)
    except Exception:  # an async invocation's error goes nowhere, as in Lambda without a DLQ
        return


def install(dispatch: Dispatch = None) -> None:
    """Route moto's Lambda invocations to in-process handlers (see the module docstring)."""
    global _original_invoke, _dispatch
    with _lock:
        _dispatch = dispatch
        if _original_invoke is None:
            _original_invoke = LambdaSimpleBackend.invoke
            LambdaSimpleBackend.invoke = _in_process_invoke  # type: ignore[method-assign]


def uninstall() -> None:
    global _original_invoke, _dispatch
    with _lock:
        if _original_invoke is not None:
            LambdaSimpleBackend.invoke = _original_invoke  # type: ignore[method-assign]
        _original_invoke = None
        _dispatch = None


def installed() -> bool:
    return _original_invoke is not None


@contextmanager
def shims(dispatch: Dispatch = None) -> Iterator[None]:
    install(dispatch)
    try:
        yield
    finally:
        uninstall()
