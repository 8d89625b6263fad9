"""Import-and-init time of each Lambda handler in a fresh interpreter, against a bare `import boto3`."""

import statistics
import subprocess
import sys
from dataclasses import dataclass

_PROBE = """
import time, importlib
start = time.perf_counter()
module = importlib.import_module({module!r})
getattr(module, {attribute!r})
print(time.perf_counter() - start)
"""


@dataclass(frozen=True)
class ColdStart:
    handler: str
    seconds: float
    ratio_to_boto3: float


def _measure(module: str, attribute: str, env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", _PROBE.format(module=module, attribute=attribute)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
        samples.append(float(output.strip().splitlines()[-1]))
    return statistics.median(samples)


def measure(handlers: list[str], env: dict[str, str], runs: int = 5) -> tuple[float, list[ColdStart]]:
    """Median seconds for `import boto3`, and per handler string ('pkg.module.function').

    Each handler sample is paired with a boto3 sample taken right before it, and the ratio is the median of
    the paired ratios: on a shared machine the load drifts between samples (bare boto3 measured 118-180 ms
    within minutes here), and a ratio against one baseline taken earlier measured the drift, not the code.
    """
    baselines: list[float] = []
    results = []
    for handler in handlers:
        module, _, attribute = handler.rpartition(".")
        ratios, samples = [], []
        for _ in range(runs):
            baseline = _measure("boto3", "client", env, 1)
            seconds = _measure(module, attribute, env, 1)
            baselines.append(baseline)
            samples.append(seconds)
            ratios.append(seconds / baseline)
        results.append(ColdStart(handler, statistics.median(samples), statistics.median(ratios)))
    baseline = statistics.median(baselines) if baselines else _measure("boto3", "client", env, runs)
    return baseline, results
