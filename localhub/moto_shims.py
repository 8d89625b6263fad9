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
_original_invoke: Callable[..., Any] | None = None
_dispatch: Dispatch = None
_original_dynamodb_call: Callable[..., Any] | None = None
_dynamodb_lock = threading.RLock()


def _serialised_dynamodb_call(self: DynamoHandler) -> Any:
    assert _original_dynamodb_call is not None
    with _dynamodb_lock:
        return _original_dynamodb_call(self)


class _TablesNotCopied:
    """Stands in for the `copy` module inside moto.dynamodb.models: tables are not deep-copied (shim 3)."""

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, dynamodb_models.Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


_original_transact: Callable[..., Any] | None = None


def _key_of(table: Any, op_type: str, op: Mapping[str, Any]) -> tuple[DynamoType, DynamoType | None]:
    key = op["Item"] if op_type == "Put" else op["Key"]
    range_attr = table.range_key_attr
    return DynamoType(key[table.hash_key_attr]), DynamoType(key[range_attr]) if range_attr else None


def _item_rollback_transact(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    assert _original_transact is not None
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
        _original_transact(self, transact_items)
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


_original_parse: Callable[[str], Any] | None = None
_parse_trees: dict[str, Any] = {}


def _cached_parse(definition: str) -> tuple[Any, Any]:
    assert _original_parse is not None
    tree = _parse_trees.get(definition)
    if tree is None:
        program, tree = _original_parse(definition)  # syntax errors raise here, uncached
        _remember_texts(tree)
        _parse_trees[definition] = tree
        return program, tree
    return Preprocessor().visit(tree), tree


_original_get_text: Callable[[Any], str] | None = None
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
    assert _original_get_text is not None
    return _original_get_text(self)


_original_query: Callable[..., Any] | None = None


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
    assert _original_query is not None
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if index_name or hash_key is None:
        return _original_query(self, hash_key, *args, **kwargs)
    return _original_query(_Partition(self, hash_key), hash_key, *args, **kwargs)


_original_boto_client_for: Callable[..., Any] | None = None
_step_function_clients: dict[tuple[str, str, bool, str], Any] = {}
_clients_lock = threading.Lock()


def _reused_boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    assert _original_boto_client_for is not None
    key = (region, service, bool(botocore_stubber.enabled), str(moto_server_port()))
    with _clients_lock:
        client = _step_function_clients.get(key)
        if client is None:
            client = _step_function_clients[key] = _original_boto_client_for(region, service, state_credentials)
    return client


_original_jsonpath_parse: Callable[[str], Any] | None = None
_original_sfn_jsonpath_parse: Callable[[str], Any] | None = None


@functools.lru_cache(maxsize=4096)
def _cached_jsonpath(path: str) -> Any:
    assert _original_jsonpath_parse is not None
    return _original_jsonpath_parse(path)


_original_method_names: Callable[[object], list[str]] | None = None


@functools.cache
def _cached_method_names(cls: object) -> frozenset[str]:
    assert _original_method_names is not None
    return frozenset(_original_method_names(cls))


_original_make_update_expression: Any = None  # the classmethod object, to put back as it was


@functools.lru_cache(maxsize=1024)
def _cached_update_expression(expression: str) -> Any:
    assert _original_make_update_expression is not None
    return _original_make_update_expression.__get__(None, UpdateExpressionParser)(expression)


def _copy_tree(value: Any) -> Any:
    if isinstance(value, Node):
        return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
    return copy.deepcopy(value)


_original_urls: Any = None  # the property object, to put back as it was
_urls_by_backend_class: dict[type, dict[str, Any]] = {}


def _cached_urls(self: BaseBackend) -> dict[str, Any]:
    urls = _urls_by_backend_class.get(type(self))
    if urls is None:
        urls = _urls_by_backend_class[type(self)] = _original_urls.fget(self)
    return urls


_original_add_auth: Callable[[SigV4Auth, AWSRequest], None] | None = None
_HEADER_SIGNERS = (SigV4Auth, S3SigV4Auth)


def _add_auth_unsigned(self: SigV4Auth, request: AWSRequest) -> None:
    assert _original_add_auth is not None
    if type(self) not in _HEADER_SIGNERS:
        _original_add_auth(self, request)
        return
    if self.credentials is None:
        raise NoCredentialsError()
    request.context["timestamp"] = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    self._modify_request_before_signing(request)
    request.headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential={self.scope(request)}, Signature=unsigned"


_original_serialize_structure: Callable[..., Any] | None = None
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
    assert _original_serialize_structure is not None
    if key and shape.name == "AttributeValue" and isinstance(value, Mapping) and _no_transformers(self):
        direct = _attribute_value(self, value)
        if direct is not None:
            serialized[self.get_serialized_name(shape, key)] = direct
            return
    _original_serialize_structure(self, serialized, value, shape, key)


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
    global _original_invoke, _dispatch, _original_dynamodb_call, _original_transact, _original_parse, _original_query
    global _original_boto_client_for, _original_jsonpath_parse, _original_sfn_jsonpath_parse
    global _original_serialize_structure, _original_method_names, _original_make_update_expression, _original_urls
    global _original_get_text, _original_add_auth
    with _lock:
        _dispatch = dispatch
        if _original_invoke is None:
            _original_invoke = LambdaSimpleBackend.invoke
            LambdaSimpleBackend.invoke = _in_process_invoke  # type: ignore[method-assign]
        if _original_dynamodb_call is None:
            _original_dynamodb_call = DynamoHandler.call_action
            DynamoHandler.call_action = _serialised_dynamodb_call  # type: ignore[method-assign]
            _original_transact = DynamoDBBackend.transact_write_items
            DynamoDBBackend.transact_write_items = _item_rollback_transact  # type: ignore[method-assign]
            dynamodb_models.copy = _TablesNotCopied()  # type: ignore[assignment]
            _original_parse = AmazonStateLanguageParser.parse
            AmazonStateLanguageParser.parse = staticmethod(_cached_parse)  # type: ignore[method-assign]
            _original_query = Table.query
            Table.query = _partition_query  # type: ignore[method-assign]
            _original_boto_client_for = lambda_eval_utils.boto_client_for
            lambda_eval_utils.boto_client_for = _reused_boto_client_for
            _original_jsonpath_parse = jsonpath_ng.ext.parse
            _original_sfn_jsonpath_parse = json_path.parse
            jsonpath_ng.ext.parse = _cached_jsonpath
            json_path.parse = _cached_jsonpath
            _original_serialize_structure = BaseJSONSerializer._serialize_type_structure
            BaseJSONSerializer._serialize_type_structure = _serialize_structure  # type: ignore[method-assign]
            _original_method_names = core_responses.method_names_from_class
            core_responses.method_names_from_class = _cached_method_names  # type: ignore[assignment]
            _original_make_update_expression = UpdateExpressionParser.__dict__["make"]
            UpdateExpressionParser.make = staticmethod(_cached_update_expression)
            update_validators.deepcopy = _copy_tree  # type: ignore[assignment]
            _original_urls = BaseBackend.__dict__["urls"]
            BaseBackend.urls = property(_cached_urls)  # type: ignore[method-assign,assignment]
            _original_get_text = RuleContext.getText
            RuleContext.getText = _memoised_text
            _original_add_auth = SigV4Auth.add_auth
            SigV4Auth.add_auth = _add_auth_unsigned


def uninstall() -> None:
    global _original_invoke, _dispatch, _original_dynamodb_call, _original_transact, _original_parse, _original_query
    global _original_boto_client_for, _original_jsonpath_parse, _original_sfn_jsonpath_parse
    global _original_serialize_structure, _original_method_names, _original_make_update_expression, _original_urls
    global _original_get_text, _original_add_auth
    with _lock:
        if _original_invoke is not None:
            LambdaSimpleBackend.invoke = _original_invoke  # type: ignore[method-assign]
        if _original_dynamodb_call is not None:
            DynamoHandler.call_action = _original_dynamodb_call  # type: ignore[method-assign]
            DynamoDBBackend.transact_write_items = _original_transact  # type: ignore[method-assign,assignment]
            dynamodb_models.copy = copy
            AmazonStateLanguageParser.parse = staticmethod(_original_parse)  # type: ignore[method-assign,arg-type,assignment]
            _parse_trees.clear()
            Table.query = _original_query  # type: ignore[method-assign,assignment]
            lambda_eval_utils.boto_client_for = _original_boto_client_for  # type: ignore[assignment]
            _step_function_clients.clear()
            jsonpath_ng.ext.parse = _original_jsonpath_parse  # type: ignore[assignment]
            json_path.parse = _original_sfn_jsonpath_parse  # type: ignore[assignment]
            _cached_jsonpath.cache_clear()
            BaseJSONSerializer._serialize_type_structure = _original_serialize_structure  # type: ignore[method-assign,assignment]
            core_responses.method_names_from_class = _original_method_names  # type: ignore[assignment]
            _cached_method_names.cache_clear()
            UpdateExpressionParser.make = _original_make_update_expression
            _cached_update_expression.cache_clear()
            update_validators.deepcopy = copy.deepcopy
            BaseBackend.urls = _original_urls  # type: ignore[method-assign]
            _urls_by_backend_class.clear()
            RuleContext.getText = _original_get_text
            SigV4Auth.add_auth = _original_add_auth
        _original_invoke = None
        _original_dynamodb_call = None
        _original_transact = None
        _original_parse = None
        _original_query = None
        _original_boto_client_for = None
        _original_jsonpath_parse = None
        _original_sfn_jsonpath_parse = None
        _original_serialize_structure = None
        _original_method_names = None
        _original_make_update_expression = None
        _original_urls = None
        _original_get_text = None
        _original_add_auth = None
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
