"""localhub.moto_shims: each shim on its own, against moto 5.2.5."""

import io
import json
import zipfile

import boto3
import pytest
from moto.awslambda_simple.models import LambdaSimpleBackend

from localhub import moto_shims
from tests.workflows import shim_handlers
from tests.workflows.harness import REGION, wait_execution


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.txt", "x")
    return buffer.getvalue()


@pytest.fixture
def make_function(hub_aws):
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="shim-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lambda_ = boto3.client("lambda", region_name=REGION)
    shim_handlers.CALLS.clear()

    def make(name: str, handler: str, timeout: int = 7) -> str:
        return str(
            lambda_.create_function(
                FunctionName=name,
                Runtime="python3.11",
                Role=role,
                Handler=handler,
                Code={"ZipFile": _zip()},
                Timeout=timeout,
            )["FunctionArn"]
        )

    return make


def invoke(name: str, payload: dict, **kwargs) -> tuple[dict, str | None]:
    response = boto3.client("lambda", region_name=REGION).invoke(
        FunctionName=name, Payload=json.dumps(payload), **kwargs
    )
    return json.loads(response["Payload"].read() or b"null"), response.get("FunctionError")


class TestLambdaInProcess:
    def test_runs_the_handler_named_by_the_functions_handler_string(self, make_function):
        make_function("Echo", "tests.workflows.shim_handlers.echo")
        with moto_shims.shims():
            body, error = invoke("Echo", {"order_key": "k"})

        assert error is None
        assert body == {"echo": {"order_key": "k"}, "function": "Echo", "remaining_ms": 7000}

    def test_an_exception_is_an_unhandled_function_error_named_by_its_class(self, make_function):
        arn = make_function("Oos", "tests.workflows.shim_handlers.out_of_stock")
        with moto_shims.shims():
            body, error = invoke(arn, {"sku": "AC-1"})

        assert error == "Unhandled"
        assert body == {"errorType": "OutOfStock", "errorMessage": "no stock for AC-1"}

    def test_a_dispatcher_callable_takes_every_invocation(self, make_function):
        make_function("Anything", "not.a.real.module.handler")
        seen = []
        with moto_shims.shims(lambda name, event: seen.append((name, event)) or {"ok": True}):
            body, error = invoke("Anything", {"a": 1})

        assert (body, error) == ({"ok": True}, None)
        assert seen == [("Anything", {"a": 1})]

    def test_a_mapping_overrides_the_handler_string(self, make_function):
        make_function("Mapped", "tests.workflows.shim_handlers.out_of_stock")
        with moto_shims.shims({"Mapped": "tests.workflows.shim_handlers.echo"}):
            body, error = invoke("Mapped", {"b": 2})

        assert error is None and body["echo"] == {"b": 2}

    def test_functions_that_are_not_ours_keep_motos_echo(self, make_function):
        make_function("Foreign", "lambda_function.lambda_handler")
        with moto_shims.shims():
            body, error = invoke("Foreign", {"c": 3})

        assert (body, error) == ({"c": 3}, None)

    def test_event_invocations_run_in_the_background(self, make_function):
        make_function("Async", "tests.workflows.shim_handlers.background")
        shim_handlers.ASYNC_DONE.clear()
        with moto_shims.shims():
            response = boto3.client("lambda", region_name=REGION).invoke(
                FunctionName="Async", Payload=b'{"d": 4}', InvocationType="Event"
            )
            assert response["StatusCode"] == 202
            assert shim_handlers.ASYNC_DONE.wait(5)

        assert shim_handlers.CALLS == [{"d": 4}]

    def test_uninstall_restores_moto(self, make_function):
        original = LambdaSimpleBackend.invoke
        moto_shims.install()
        assert moto_shims.installed() and LambdaSimpleBackend.invoke is not original
        moto_shims.uninstall()

        assert not moto_shims.installed() and LambdaSimpleBackend.invoke is original

    def test_step_functions_retry_and_catch_match_the_exception_class_name(self, make_function):
        arn = make_function("Oos2", "tests.workflows.shim_handlers.out_of_stock")
        definition = {
            "StartAt": "Reserve",
            "States": {
                "Reserve": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": arn, "Payload": {"sku.$": "$.sku"}},
                    "TimeoutSeconds": 10,
                    "Retry": [{"ErrorEquals": ["OutOfStock"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                    "Catch": [{"ErrorEquals": ["OutOfStock"], "ResultPath": "$.error", "Next": "Backorder"}],
                    "End": True,
                },
                "Backorder": {"Type": "Pass", "End": True},
            },
        }
        sfn = boto3.client("stepfunctions", region_name=REGION)
        machine = sfn.create_state_machine(
            name="shim-test", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/x"
        )["stateMachineArn"]
        with moto_shims.shims():
            execution = sfn.start_execution(stateMachineArn=machine, name="one", input='{"sku": "AC-1"}')
            result = wait_execution(execution["executionArn"])

        assert result["status"] == "SUCCEEDED"
        output = json.loads(result["output"])
        assert output["error"]["Error"] == "OutOfStock"
        failed = [
            e
            for e in sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
            if e["type"] == "TaskFailed"
        ]
        assert len(failed) == 2  # the first attempt and its one retry


def _hammer_transactions(threads: int = 8, per_thread: int = 40) -> list[BaseException]:
    """Many threads each writing their own items with TransactWriteItems, as the local hub's workers do."""
    import threading

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="shim-concurrency",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        client = boto3.client("dynamodb", region_name=REGION)
        try:
            for i in range(per_thread):
                item = {"pk": {"S": f"{n}-{i}"}, "payload": {"M": {f"k{j}": {"N": str(j)} for j in range(20)}}}
                client.transact_write_items(TransactItems=[{"Put": {"TableName": "shim-concurrency", "Item": item}}])
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return errors


def test_dynamodb_shim_lets_concurrent_transactions_through(hub_aws):
    # Given the shims installed (as the local hub does)
    with moto_shims.shims():
        # When many threads write with transactions at once
        errors = _hammer_transactions()
    # Then every write lands, as on real DynamoDB
    assert errors == []
    count = boto3.client("dynamodb", region_name=REGION).scan(TableName="shim-concurrency", Select="COUNT")["Count"]
    assert count == 8 * 40


def test_uninstall_restores_moto_dynamodb():
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    moto_shims.install()
    assert DynamoHandler.call_action is not original
    moto_shims.uninstall()
    assert DynamoHandler.call_action is original


def _orders_table() -> "object":
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="shim-rollback",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return dynamodb


def test_a_cancelled_transaction_changes_nothing_with_item_level_rollback(hub_aws):
    with moto_shims.shims():
        # Given one existing item with a counter
        dynamodb = _orders_table()
        dynamodb.put_item(TableName="shim-rollback", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "5"}})
        # When a transaction updates it, puts a new item, then fails a condition on its last action
        with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": "shim-rollback",
                            "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                            "UpdateExpression": "SET n = n - :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    },
                    {"Put": {"TableName": "shim-rollback", "Item": {"pk": {"S": "b"}, "sk": {"S": "1"}}}},
                    {
                        "ConditionCheck": {
                            "TableName": "shim-rollback",
                            "Key": {"pk": {"S": "zzz"}, "sk": {"S": "1"}},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                ]
            )
        # Then the existing item keeps its value and the new one was never written
        items = dynamodb.scan(TableName="shim-rollback")["Items"]
    assert items == [{"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "5"}}]


def test_the_asl_is_parsed_once_per_definition_and_executions_stay_independent(hub_aws, monkeypatch):
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser

    definition = json.dumps(
        {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "End": True}}}
    )
    parses = []
    original = ASLParser.state_machine
    monkeypatch.setattr(ASLParser, "state_machine", lambda self: parses.append(1) or original(self))
    with moto_shims.shims():
        sfn = boto3.client("stepfunctions", region_name=REGION)
        arn = sfn.create_state_machine(name="echo", definition=definition, roleArn="arn:aws:iam::123456789012:role/x")[
            "stateMachineArn"
        ]
        outputs = []
        for n in (1, 2, 3):
            execution = sfn.start_execution(stateMachineArn=arn, name=f"run-{n}", input=json.dumps({"n": n}))
            outputs.append(json.loads(wait_execution(execution["executionArn"])["output"]))
    assert outputs == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert len(parses) == 1


def _keyed_table(name: str) -> "object":
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "kind", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-kind",
                "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for p in range(5):
        for s in (3, 1, 4, 0, 2):
            item = {"pk": {"S": f"P{p}"}, "sk": {"S": f"S{s}"}, "kind": {"S": "odd" if s % 2 else "even"}}
            dynamodb.put_item(TableName=name, Item=item)
    return dynamodb


def _queries(dynamodb) -> list[object]:
    def pages(**args) -> list[object]:
        out = []
        while True:
            page = dynamodb.query(TableName="shim-partition", **args)
            out.append((page["Items"], page.get("LastEvaluatedKey")))
            if "LastEvaluatedKey" not in page:
                return out
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    pk = {":pk": {"S": "P2"}}
    return [
        pages(KeyConditionExpression="pk = :pk", ExpressionAttributeValues=pk),
        pages(KeyConditionExpression="pk = :pk", ExpressionAttributeValues=pk, ScanIndexForward=False, Limit=2),
        pages(KeyConditionExpression="pk = :pk AND sk > :s", ExpressionAttributeValues={**pk, ":s": {"S": "S1"}}),
        pages(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
            FilterExpression="kind = :k",
            ExpressionAttributeValues={**pk, ":s": {"S": "S"}, ":k": {"S": "odd"}},
        ),
        pages(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "nobody"}}),
        pages(IndexName="by-kind", KeyConditionExpression="kind = :k", ExpressionAttributeValues={":k": {"S": "odd"}}),
    ]


def test_a_query_on_the_table_key_reads_one_partition_and_answers_as_moto_does(hub_aws):
    # Given a table of five partitions, queried once by moto alone
    dynamodb = _keyed_table("shim-partition")
    expected = _queries(dynamodb)
    # When the same queries run with the shims installed
    with moto_shims.shims():
        answered = _queries(dynamodb)
        count = dynamodb.scan(TableName="shim-partition", Select="COUNT")["Count"]
    # Then every page (items, order, paging keys, the filtered and the index query) is the same, and the
    # table still holds its 25 items
    assert answered == expected
    assert [len(items) for items, _ in expected[0]] == [5]
    assert count == 25


def test_attribute_values_of_every_type_read_back_as_moto_serialises_them(hub_aws):
    dynamodb = _keyed_table("shim-partition")
    item = {
        "pk": {"S": "every-type"},
        "sk": {"S": "1"},
        "s": {"S": "文字"},
        "empty": {"S": ""},
        "n": {"N": "-12.50"},
        "b": {"B": b"\x00\x01bytes"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": [b"x", b"y"]},
        "m": {"M": {"inner": {"L": [{"N": "1"}, {"M": {"deep": {"BOOL": False}}}, {"NULL": True}]}}},
        "l": {"L": [{"S": "x"}, {"B": b"z"}, {"SS": ["q"]}]},
        "t": {"BOOL": True},
    }
    dynamodb.put_item(TableName="shim-partition", Item=item)
    key = {"pk": {"S": "every-type"}, "sk": {"S": "1"}}
    by_moto = dynamodb.get_item(TableName="shim-partition", Key=key)["Item"]
    with moto_shims.shims():
        shimmed = dynamodb.get_item(TableName="shim-partition", Key=key)["Item"]
        queried = dynamodb.query(
            TableName="shim-partition",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "every-type"}},
        )["Items"]
    assert shimmed == by_moto == item
    assert queried == [item]


def test_step_functions_reuse_one_lambda_client_and_compiled_json_paths(hub_aws):
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.utils import json_path

    original_client_for, original_parse = lambda_eval_utils.boto_client_for, json_path.parse
    with moto_shims.shims():
        first = lambda_eval_utils.boto_client_for(region=REGION, service="lambda", state_credentials=None)
        again = lambda_eval_utils.boto_client_for(region=REGION, service="lambda", state_credentials=None)
        assert first is again
        assert json_path.parse("$.order_key") is json_path.parse("$.order_key")
        assert json_path.extract_json("$.a.b", {"a": {"b": 7}}) == 7
    assert lambda_eval_utils.boto_client_for is original_client_for
    assert json_path.parse is original_parse


def test_action_names_are_listed_once_per_response_class_and_still_route_requests(hub_aws):
    from moto.core import responses as core_responses
    from moto.dynamodb.responses import DynamoHandler

    original = core_responses.method_names_from_class
    with moto_shims.shims():
        names = core_responses.method_names_from_class(DynamoHandler)
        assert names is core_responses.method_names_from_class(DynamoHandler)
        assert "transact_write_items" in names and set(names) == set(original(DynamoHandler))
        dynamodb = _orders_table()
        dynamodb.put_item(TableName="shim-rollback", Item={"pk": {"S": "a"}, "sk": {"S": "1"}})
        assert dynamodb.get_item(TableName="shim-rollback", Key={"pk": {"S": "a"}, "sk": {"S": "1"}})["Item"]
    assert core_responses.method_names_from_class is original


def _updates(dynamodb, table: str) -> list[object]:
    """The same expression three times with different values, a transaction, and an invalid expression."""
    key = {"pk": {"S": "u"}, "sk": {"S": "1"}}
    expression = "SET amount = if_not_exists(amount, :zero) + :n, note = :note ADD seen :one REMOVE gone"
    seen = []
    for n in (5, 7, 11):
        dynamodb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression=expression,
            ExpressionAttributeValues={
                ":zero": {"N": "0"},
                ":n": {"N": str(n)},
                ":note": {"S": f"n={n}"},
                ":one": {"N": "1"},
            },
        )
        seen.append(dynamodb.get_item(TableName=table, Key=key)["Item"])
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": table,
                    "Key": key,
                    "UpdateExpression": "SET note = :note",
                    "ExpressionAttributeValues": {":note": {"S": "in a transaction"}},
                }
            }
        ]
    )
    seen.append(dynamodb.get_item(TableName=table, Key=key)["Item"])
    for _ in range(2):
        with pytest.raises(dynamodb.exceptions.ClientError) as invalid:
            dynamodb.update_item(
                TableName=table, Key=key, UpdateExpression="SET = :x", ExpressionAttributeValues={":x": {"S": "x"}}
            )
        seen.append(invalid.value.response["Error"]["Code"])
    return seen


def test_update_expressions_parse_once_and_each_update_applies_its_own_values(hub_aws):
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    dynamodb = _orders_table()
    by_moto = _updates(dynamodb, "shim-rollback")
    dynamodb.delete_item(TableName="shim-rollback", Key={"pk": {"S": "u"}, "sk": {"S": "1"}})
    with moto_shims.shims():
        shimmed = _updates(dynamodb, "shim-rollback")
        tree = UpdateExpressionParser.make("SET note = :note")
        assert tree is UpdateExpressionParser.make("SET note = :note")  # parsed once, shared read-only
    assert shimmed == by_moto
    assert by_moto[2]["amount"] == {"N": "23"} and by_moto[2]["seen"] == {"N": "3"}
    assert by_moto[-2:] == ["ValidationException", "ValidationException"]
    assert UpdateExpressionParser.make("SET note = :note") is not tree


def test_a_backends_url_table_is_built_once_and_still_routes_requests(hub_aws):
    from moto.core.base_backend import BaseBackend
    from moto.s3.models import s3_backends

    backend = s3_backends["123456789012"]["aws"]
    by_moto = backend.urls
    original = BaseBackend.__dict__["urls"]
    s3 = boto3.client("s3", region_name=REGION)
    with moto_shims.shims():
        assert backend.urls is backend.urls  # no rebuild, no reload of moto.s3.urls per request
        assert backend.urls == by_moto
        s3.create_bucket(Bucket="shim-urls")
        s3.put_object(Bucket="shim-urls", Key="a/b.json", Body=b"{}")
        assert s3.get_object(Bucket="shim-urls", Key="a/b.json")["Body"].read() == b"{}"
    assert BaseBackend.__dict__["urls"] is original
    assert backend.urls is not backend.urls


def test_a_cached_asl_trees_node_texts_are_read_once_and_match_antlr(hub_aws):
    from antlr4 import RuleContext
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    task = "arn:aws:lambda:us-east-1:123456789012:function:Step"
    states = {
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.outcome", "StringEquals": "RESERVED", "Next": "Work"}],
            "Default": "Done",
        },
        "Work": {
            "Type": "Task",
            "Resource": task,
            "Parameters": {"order_key.$": "$.order_key", "n": 1},
            "ResultPath": "$.work",
            "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}],
            "Next": "Done",
        },
        "Done": {"Type": "Pass", "End": True},
    }
    definition = json.dumps({"Comment": "texts", "StartAt": "Route", "States": states})
    _, by_antlr = AmazonStateLanguageParser.parse(definition)

    def rule_nodes(tree) -> list[RuleContext]:
        nodes, stack = [], [tree]
        while stack:
            node = stack.pop()
            if isinstance(node, RuleContext):
                nodes.append(node)
                stack.extend(node.getChildren())
        return nodes

    expected = [node.getText() for node in rule_nodes(by_antlr)]
    original = RuleContext.getText
    with moto_shims.shims():
        _, cached = AmazonStateLanguageParser.parse(definition)
        program, again = AmazonStateLanguageParser.parse(definition)  # components rebuilt from the cached tree
        assert again is cached and program is not None
        nodes = rule_nodes(cached)
        assert [node.getText() for node in nodes] == expected
        assert all(vars(node).get("_omnihub_text") is not None for node in nodes)
        assert by_antlr.getText() == expected[0]  # a tree that was not cached: ANTLR's own walk
    assert RuleContext.getText is original


def test_sigv4_requests_keep_their_credential_scope_but_skip_the_signature(hub_aws):
    from botocore.auth import SigV4Auth, SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    credentials = Credentials("AKIDLOCAL", "secret", "token")

    def signed(auth_class) -> AWSRequest:
        request = AWSRequest(method="POST", url="https://dynamodb.us-east-1.amazonaws.com/", data=b"{}")
        auth_class(credentials, "dynamodb", "us-east-1").add_auth(request)
        return request

    by_botocore = signed(SigV4Auth).headers["Authorization"]
    with moto_shims.shims():
        shimmed = signed(SigV4Auth)
        presigned = signed(SigV4QueryAuth)
        # moto, through boto3: the account and region come from the credential scope as before
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="shim-unsigned")
        s3.put_object(Bucket="shim-unsigned", Key="raw.json", Body='{"订单": 1}'.encode())
        body = s3.get_object(Bucket="shim-unsigned", Key="raw.json")["Body"].read()
        arn = _orders_table().describe_table(TableName="shim-rollback")["Table"]["TableArn"]

    scope = by_botocore.split("Credential=")[1].split(",")[0]
    assert shimmed.headers["Authorization"] == f"AWS4-HMAC-SHA256 Credential={scope}, Signature=unsigned"
    assert shimmed.headers["X-Amz-Security-Token"] == "token" and shimmed.headers["X-Amz-Date"]
    assert "X-Amz-Signature=" in presigned.url and "Authorization" not in presigned.headers  # unchanged
    assert body == '{"订单": 1}'.encode()
    assert arn == f"arn:aws:dynamodb:{REGION}:123456789012:table/shim-rollback"
    assert "Signature=unsigned" not in signed(SigV4Auth).headers["Authorization"]  # uninstalled
