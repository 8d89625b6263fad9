"""Step Functions: starting the order workflow (always named) and answering its task tokens."""

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from hubcore.aws import client
from hubcore.settings import settings

_TOKEN_GONE = frozenset({"TaskDoesNotExist", "TaskTimedOut", "InvalidToken"})


@dataclass(frozen=True)
class StartResult:
    execution_arn: str
    started: bool  # False: an execution with that name already existed (a duplicate start, which is fine)


class TaskTokenGone(Exception):
    """The waiting task no longer exists: it timed out, was answered already, or its execution ended."""


class StepFunctions:
    def __init__(self, state_machine_arn: str | None = None) -> None:
        self._state_machine_arn = state_machine_arn

    @property
    def state_machine_arn(self) -> str:
        arn = self._state_machine_arn or settings().state_machine_arn
        if not arn:
            raise RuntimeError("OMNIHUB_STATE_MACHINE_ARN is not set")
        return arn

    def start_execution(self, name: str, payload: dict[str, Any]) -> StartResult:
        """Start a named execution. The name makes the start idempotent: Step Functions refuses a second one."""
        try:
            response = client("stepfunctions").start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(payload)
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
            arn = self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
            return StartResult(execution_arn=arn, started=False)
        return StartResult(execution_arn=str(response["executionArn"]), started=True)

    def send_task_success(self, task_token: str, output: dict[str, Any]) -> None:
        try:
            client("stepfunctions").send_task_success(taskToken=task_token, output=json.dumps(output))
        except ClientError as exc:
            self._raise_gone_or(exc)

    def send_task_failure(self, task_token: str, error: str, cause: str = "") -> None:
        try:
            client("stepfunctions").send_task_failure(taskToken=task_token, error=error, cause=cause[:32768])
        except ClientError as exc:
            self._raise_gone_or(exc)

    @staticmethod
    def _raise_gone_or(exc: ClientError) -> None:
        if exc.response["Error"]["Code"] in _TOKEN_GONE:
            raise TaskTokenGone(exc.response["Error"]["Code"]) from exc
        raise exc
