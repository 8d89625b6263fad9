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

2. `dynamodb_serialised` — moto's DynamoDB is not thread-safe: `TransactWriteItems` deep-copies the tables
   for its rollback while other request threads write to them, and fails with "dictionary changed size
   during iteration". Real DynamoDB serves concurrent writers, and the local hub runs many (webhooks,
   workflow steps, pollers), so every moto DynamoDB action runs under one lock.

3. `dynamodb_item_rollback` — for its rollback, moto's `TransactWriteItems` deep-copies every table the
   transaction touches, so each transaction costs time proportional to the whole table and a day of orders
   becomes quadratic (it was most of the demo's CPU). Under shim 2's lock, snapshotting just the items the
   transaction names and restoring them on failure gives the same all-or-nothing result.
4. `asl_parse_cache` — moto lexes and parses the ASL definition with ANTLR for every execution (about half
   of a workflow's CPU). The parse tree of a definition is cached; the evaluation components are still
   built fresh for each execution from it, so executions share no state.
5. `dynamodb_partition_query` — moto answers a `Query` on a table's own key by sorting every item of the
   table (`Table.all_items`, Python-level `DynamoType` comparisons) and then keeping the one partition asked
   for, so each query costs time proportional to the whole table and a day of orders becomes quadratic (a
   quarter of the demo's CPU). The shim hands moto's own `Table.query` a view of the table whose
   `all_items()` is just that partition; index queries and everything else are moto's code unchanged.
6. `stepfunctions_client_reuse` — moto's Step Functions interpreter builds a new boto3 Lambda client for every
   task it runs (`boto_client_for`, ~10 ms of CPU each). One client per region and endpoint is kept instead;
   boto3 clients are thread-safe and these carry no per-execution state (moto ignores the state credentials).
7. `jsonpath_parse_cache` — moto's Step Functions (`extract_json`) and EventBridge (input paths) compile each
   JSONPath with a fresh jsonpath-ng parser, which rebuilds its PLY tables every time. Compiled expressions
   are immutable, so they are cached by path.
8. `dynamodb_attribute_values` — moto serialises every response by walking the botocore shape model, and for
   each DynamoDB `AttributeValue` it tries every member (S, N, B, SS, ... L) through six alias providers,
   which made serialising items a seventh of the demo's CPU. A DynamoDB attribute value is already in wire
   form (`{"S": "..."}`), so the shim writes it out directly, with the generic serialiser's own conversions
   (strings `str()`-ed, blobs base64-encoded, M and L recursively); anything else takes moto's path.
9. `action_names_cache` — for every request moto lists the response class's methods with `inspect.getmembers`
   (`method_names_from_class`) to find the action's handler: about 3 % of the demo's CPU. A class's methods do
   not change while the hub runs, so the list is computed once per class.
10. `update_expression_cache` — for every update moto parses its `UpdateExpression` twice (request validation
   and the backend), then deep-copies the fresh tree before validating it, because validation rewrites the
   tree in place: about a tenth of the demo's CPU. The parse is cached per expression string (both callers
   only read the tree they get), and the validator's copy of it is a pickle round trip, which builds the same
   plain node tree five times faster than `copy.deepcopy`. Invalid expressions still raise on every call.
11. `backend_urls_cache` — to route each request moto rebuilds the service's URL table (`BaseBackend.urls`), and
   for S3 it first reloads `moto.s3.urls` (`importlib.reload`, so a changed custom-endpoint setting shows):
   a sixth of every raw-payload archive write. The settings do not change while the hub runs, so the table is
   built once per backend class.
12. `asl_text_memo` — building an execution's components from the cached parse tree (shim 4) reads node texts
   with ANTLR's `RuleContext.getText`, which concatenates the whole subtree on every call: half of that
   preprocessing. A cached tree is never changed again, so each of its nodes' text is computed once, when it
   is cached; every other ANTLR tree keeps the original `getText`.
13. `sigv4_without_signature` — every boto3 request to moto is SigV4-signed (a canonical request, its hash and
   an HMAC chain: 6 % of the demo's CPU), and moto never checks a signature. Header-signed SigV4 requests keep
   everything botocore sets before signing (date, token, S3's payload header) and an `Authorization` header
   with the real credential scope, which moto reads for the account and region; only the signature is left
   out. Presigned (query) SigV4 and every other signer are unchanged.

Handlers run with the process environment (the local hub exports the functions' shared `OMNIHUB_*`
variables), not with each function's own `Environment`: os.environ cannot differ per thread.

Use `install(...)`/`uninstall()` or `with shims(...):`. Installing twice replaces the dispatcher.
"""

import copy
import functools
import importlib
import importlib.util
import json
import pickle
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import jsonpath_ng.ext
from antlr4 import RuleContext
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import NoCredentialsError
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core import responses as core_responses
from moto.core.base_backend import BaseBackend
from moto.core.models import botocore_stubber
from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing import validators as update_validators
from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.responses import DynamoHandler
from moto.settings import moto_server_port
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.asl.utils import json_path

from localhub.lambda_runtime import LocalLambdaContext, function_name_of, resolve_handler

Invoker = Callable[[str, dict[str, Any]], Any]
Dispatch = Invoker | Mapping[str, str] | None

_lock = threading.Lock()
_dispatch: Dispatch = None
# What each patched attribute held before `install()` (function, staticmethod, classmethod or property object,
# as found in its owner's namespace): the shims call through it, and `uninstall()` puts it back.
_originals: dict[tuple[Any, str], Any] = {}


def _patch(owner: Any, name: str, replacement: Any) -> None:
    _originals[(owner, name)] = vars(owner)[name]
    setattr(owner, name, replacement)


def _original(owner: Any, name: str) -> Any:
    return _originals[(owner, name)]


_dynamodb_lock = threading.RLock()


def _serialised_dynamodb_call(self: DynamoHandler) -> Any:
    with _dynamodb_lock:
        return _original(DynamoHandler, "call_action")(self)


class _TablesNotCopied:
    """Stands in for the `copy` module inside moto.dynamodb.models: tables are not deep-copied (shim 3)."""

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, dynamodb_models.Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _key_of(table: Any, op_type: str, op: Mapping[str, Any]) -> tuple[DynamoType, DynamoType | None]:
    key = op["Item"] if op_type == "Put" else op["Key"]
    range_attr = table.range_key_attr
    return DynamoType(key[table.hash_key_attr]), DynamoType(key[range_attr]) if range_attr else None


def _item_rollback_transact(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    snapshots: list[tuple[Any, DynamoType, DynamoType | None, Any]] = []
    for entry in transact_items:
        op_type, op = next(iter(entry.items()))
        table = self.tables.get(op.get("TableName", ""))
        try:
            hash_key, range_key = _key_of(table, op_type, op) if table is not None else (None, None)
        except KeyError:  # a malformed key: moto itself will refuse the transaction before writing
            continue
        if table is None or hash_key is None:
            continue
        snapshots.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    try:
        _original(DynamoDBBackend, "transact_write_items")(self, transact_items)
    except Exception:
        for table, hash_key, range_key, item in reversed(snapshots):
            _restore(table, hash_key, range_key, item)
        raise


def _restore(table: Any, hash_key: DynamoType, range_key: DynamoType | None, item: Any) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    if item is None:
        table.items.get(hash_key, {}).pop(range_key, None)
    else:
        table.items[hash_key][range_key] = item


_parse_trees: dict[str, Any] = {}


def _cached_parse(definition: str) -> tuple[Any, Any]:
    tree = _parse_trees.get(definition)
    if tree is None:
        program, tree = _original(AmazonStateLanguageParser, "parse")(definition)  # syntax errors raise here, uncached
        _remember_texts(tree)
        _parse_trees[definition] = tree
        return program, tree
    return Preprocessor().visit(tree), tree


_TEXT = "_omnihub_text"


def _remember_texts(tree: Any) -> None:
    """Store every rule node's text on it, children first (iteratively: ASL trees can be deep)."""
    stack: list[tuple[Any, bool]] = [(tree, False)]
    while stack:
        node, children_done = stack.pop()
        if not isinstance(node, RuleContext):
            continue
        if children_done:
            setattr(node, _TEXT, "".join(child.getText() for child in node.getChildren()))
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in node.getChildren())


def _memoised_text(self: RuleContext) -> str:
    text = getattr(self, _TEXT, None)
    if text is not None:
        return str(text)
    return str(_original(RuleContext, "getText")(self))


class _Partition:
    """A table as moto's `Table.query` sees it, narrowed to one partition: `all_items()` returns only the items
    under `hash_key` (moto's query sorts them by range key itself). Every other attribute is the table's own."""

    def __init__(self, table: Table, hash_key: DynamoType) -> None:
        self._table = table
        self._hash_key = hash_key

    def all_items(self) -> list[Any]:
        found = self._table.items.get(self._hash_key)  # .get: the table's defaultdict must not grow a partition
        if found is None:
            return []
        if not self._table.range_key_attr:
            return [found]
        return list(found.values())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)


def _partition_query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    query = _original(Table, "query")
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if index_name or hash_key is None:
        return query(self, hash_key, *args, **kwargs)
    return query(_Partition(self, hash_key), hash_key, *args, **kwargs)


_step_function_clients: dict[tuple[str, str, bool, str], Any] = {}
_clients_lock = threading.Lock()


def _reused_boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    key = (region, service, bool(botocore_stubber.enabled), str(moto_server_port()))
    with _clients_lock:
        client = _step_function_clients.get(key)
        if client is None:
            client = _step_function_clients[key] = _original(lambda_eval_utils, "boto_client_for")(
                region, service, state_credentials
            )
    return client


@functools.lru_cache(maxsize=4096)
def _cached_jsonpath(path: str) -> Any:
    return _original(jsonpath_ng.ext, "parse")(path)


@functools.cache
def _cached_method_names(cls: object) -> frozenset[str]:
    return frozenset(_original(core_responses, "method_names_from_class")(cls))


@functools.lru_cache(maxsize=1024)
def _cached_update_expression(expression: str) -> Any:
    return _original(UpdateExpressionParser, "make").__get__(None, UpdateExpressionParser)(expression)


def _copy_tree(value: Any) -> Any:
    if isinstance(value, Node):
        return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
    return copy.deepcopy(value)


_urls_by_backend_class: dict[type, dict[str, Any]] = {}


def _cached_urls(self: BaseBackend) -> dict[str, Any]:
    urls = _urls_by_backend_class.get(type(self))
    if urls is None:
        urls = _urls_by_backend_class[type(self)] = _original(BaseBackend, "urls").fget(self)
    return urls


_HEADER_SIGNERS = (SigV4Auth, S3SigV4Auth)


def _add_auth_unsigned(self: SigV4Auth, request: AWSRequest) -> None:
    if type(self) not in _HEADER_SIGNERS:
        _original(SigV4Auth, "add_auth")(self, request)
        return
    if self.credentials is None:
        raise NoCredentialsError()
    request.context["timestamp"] = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    self._modify_request_before_signing(request)
    request.headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential={self.scope(request)}, Signature=unsigned"


_STRING_MEMBERS = frozenset({"S", "N"})
_AS_IS_MEMBERS = frozenset({"NULL", "BOOL"})


def _attribute_value(serializer: BaseJSONSerializer, value: Mapping[str, Any]) -> dict[str, Any] | None:
    """What moto's generic JSON serialiser makes of a DynamoDB AttributeValue dict, or None if it is not one."""
    out: dict[str, Any] = {}
    for member, inner in value.items():
        if inner is None:
            continue
        if member in _STRING_MEMBERS:
            out[member] = str(inner)
        elif member in _AS_IS_MEMBERS:
            out[member] = inner
        elif member == "B":
            out[member] = serializer._base64(inner)
        elif member in ("SS", "NS"):
            out[member] = [str(element) for element in inner]
        elif member == "BS":
            out[member] = [serializer._base64(element) for element in inner]
        elif member == "M" and isinstance(inner, Mapping):
            mapped = {name: _attribute_value(serializer, element) for name, element in inner.items()}
            if any(element is None for element in mapped.values()):
                return None
            out[member] = mapped
        elif member == "L" and isinstance(inner, list):
            listed = [_attribute_value(serializer, element) for element in inner]
            if any(element is None for element in listed):
                return None
            out[member] = listed
        else:
            return None
    return out


def _serialize_structure(self: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
    if key and shape.name == "AttributeValue" and isinstance(value, Mapping) and _no_transformers(self):
        direct = _attribute_value(self, value)
        if direct is not None:
            serialized[self.get_serialized_name(shape, key)] = direct
            return
    _original(BaseJSONSerializer, "_serialize_type_structure")(self, serialized, value, shape, key)


def _no_transformers(serializer: BaseJSONSerializer) -> bool:
    return not getattr(getattr(serializer, "_value_picker", None), "response_transformers", None)


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
        original = _original(LambdaSimpleBackend, "invoke")
        result: str | bytes | None = original(self, function_name, qualifier, body, headers, response_headers)
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
    """Apply every shim (see the module docstring); installing again only replaces the dispatcher."""
    global _dispatch
    with _lock:
        _dispatch = dispatch
        if _originals:
            return
        _patch(LambdaSimpleBackend, "invoke", _in_process_invoke)  # 1
        _patch(DynamoHandler, "call_action", _serialised_dynamodb_call)  # 2
        _patch(DynamoDBBackend, "transact_write_items", _item_rollback_transact)  # 3
        _patch(dynamodb_models, "copy", _TablesNotCopied())  # 3
        _patch(AmazonStateLanguageParser, "parse", staticmethod(_cached_parse))  # 4
        _patch(Table, "query", _partition_query)  # 5
        _patch(lambda_eval_utils, "boto_client_for", _reused_boto_client_for)  # 6
        _patch(jsonpath_ng.ext, "parse", _cached_jsonpath)  # 7
        _patch(json_path, "parse", _cached_jsonpath)  # 7
        _patch(BaseJSONSerializer, "_serialize_type_structure", _serialize_structure)  # 8
        _patch(core_responses, "method_names_from_class", _cached_method_names)  # 9
        _patch(UpdateExpressionParser, "make", staticmethod(_cached_update_expression))  # 10
        _patch(update_validators, "deepcopy", _copy_tree)  # 10
        _patch(BaseBackend, "urls", property(_cached_urls))  # 11
        _patch(RuleContext, "getText", _memoised_text)  # 12
        _patch(SigV4Auth, "add_auth", _add_auth_unsigned)  # 13


def uninstall() -> None:
    global _dispatch
    with _lock:
        for (owner, name), original in reversed(_originals.items()):
            setattr(owner, name, original)
        _originals.clear()
        _parse_trees.clear()
        _step_function_clients.clear()
        _cached_jsonpath.cache_clear()
        _cached_method_names.cache_clear()
        _cached_update_expression.cache_clear()
        _urls_by_backend_class.clear()
        _dispatch = None


def installed() -> bool:
    return bool(_originals)


@contextmanager
def shims(dispatch: Dispatch = None) -> Iterator[None]:
    install(dispatch)
    try:
        yield
    finally:
        uninstall()
