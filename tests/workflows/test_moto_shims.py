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
