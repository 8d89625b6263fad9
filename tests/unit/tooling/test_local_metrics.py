"""The local hub runs every function's handler on threads of one process, sharing Powertools' metric set."""

import threading
import warnings

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from localhub import lambda_runtime


def _add_and_flush_on_threads(threads: int = 8, rounds: int = 2000) -> list[BaseException]:
    metrics = Metrics(namespace="LocalRace", service="race")
    errors: list[BaseException] = []

    def invocation_after_invocation() -> None:
        for _ in range(rounds):
            try:
                metrics.add_metric(name="Handled", unit=MetricUnit.Count, value=1)
                metrics.flush_metrics()  # what @log_metrics does at the end of every invocation
            except Exception as exc:  # noqa: BLE001 - the race shows as any of Powertools' errors
                errors.append(exc)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "No application metrics to publish" when another thread flushed first
        workers = [threading.Thread(target=invocation_after_invocation) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    return errors


def test_concurrent_invocations_never_fail_on_the_shared_metric_set(capsys):
    lambda_runtime.guard_shared_metrics()
    lambda_runtime.guard_shared_metrics()  # idempotent: one lock, not two wrappers

    errors = _add_and_flush_on_threads()

    capsys.readouterr()
    assert errors == []
    flush = vars(AmazonCloudWatchEMFProvider)["flush_metrics"]
    assert getattr(flush, "_omnihub_guarded", False) and not getattr(
        getattr(flush, "__closure__", None)[0].cell_contents, "_omnihub_guarded", False
    )
