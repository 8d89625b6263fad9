"""Import-and-init time of each Lambda handler in a fresh interpreter, against a bare `import boto3`.

The probes run the deployment package the way Lambda runs it, when `make layer` has built it: the runtime's
Python (3.12, `LAMBDA_PYTHON`), the dependency layer `.build/layer/python` on the path instead of the dev
virtualenv (whose extras, e.g. rich and click that httpx imports when present, are not deployed), the code's
and the layer's shipped bytecode, and no bytecode written (Lambda's file system is read-only). Without such a
package the probes fall back to this interpreter and virtualenv with a warmed bytecode cache, and say so.
"""

import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LAYER_PATH = REPO_ROOT / ".build" / "layer" / "python"
LAYER_BYTECODE_PROBE = LAYER_PATH / "boto3" / "__pycache__" / "__init__.cpython-312.pyc"
FALLBACK_PYCACHE = REPO_ROOT / ".build" / "cold-start-pycache"

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


@dataclass(frozen=True)
class ProbeRuntime:
    """The interpreter and environment every probe runs in, and what that stands for."""

    python: str
    env: dict[str, str]
    description: str


def probe_runtime(function_env: dict[str, str]) -> ProbeRuntime:
    """The deployment package as Lambda runs it if `make layer` built it, else this virtualenv."""
    env = {k: v for k, v in function_env.items() if k not in ("PYTHONPYCACHEPREFIX", "PYTHONPATH", "VIRTUAL_ENV")}
    lambda_python = _python_3_12(os.environ.get("LAMBDA_PYTHON", "python3.12"))
    if lambda_python and LAYER_BYTECODE_PROBE.is_file():
        env.update(PYTHONPATH=str(LAYER_PATH), PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1")
        return ProbeRuntime(lambda_python, env, f"deployment package: {lambda_python}, .build/layer, shipped bytecode")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(FALLBACK_PYCACHE)
    return ProbeRuntime(
        sys.executable, env, "FALLBACK (no `make layer` package with Python 3.12): this virtualenv, cached bytecode"
    )


def _python_3_12(candidate: str) -> str | None:
    path = shutil.which(candidate)
    if path is None:
        return None
    check = subprocess.run([path, "-c", "import sys; sys.exit(sys.version_info[:2] != (3, 12))"], capture_output=True)
    return path if check.returncode == 0 else None


def _measure(runtime: ProbeRuntime, module: str, attribute: str) -> float:
    output = subprocess.run(
        [runtime.python, "-c", _PROBE.format(module=module, attribute=attribute)],
        check=True,
        capture_output=True,
        text=True,
        env=runtime.env,
        cwd=REPO_ROOT,
    ).stdout
    return float(output.strip().splitlines()[-1])


def measure(handlers: list[str], runtime: ProbeRuntime, runs: int = 5) -> tuple[float, list[ColdStart]]:
    """Median seconds for `import boto3`, and per handler string ('pkg.module.function').

    Each handler sample is paired with a boto3 sample taken right before it, and the ratio is the median of
    the paired ratios: on a shared machine the load drifts between samples (bare boto3 measured 118-180 ms
    within minutes here), and a ratio against one baseline taken earlier measured the drift, not the code.
    A first, unmeasured import of each handler fills the fallback's bytecode cache.
    """
    baselines: list[float] = []
    results = []
    _measure(runtime, "boto3", "client")
    for handler in handlers:
        module, _, attribute = handler.rpartition(".")
        _measure(runtime, module, attribute)
        ratios, samples = [], []
        for _ in range(runs):
            baseline = _measure(runtime, "boto3", "client")
            seconds = _measure(runtime, module, attribute)
            baselines.append(baseline)
            samples.append(seconds)
            ratios.append(seconds / baseline)
        results.append(ColdStart(handler, statistics.median(samples), statistics.median(ratios)))
    baseline = statistics.median(baselines) if baselines else _measure(runtime, "boto3", "client")
    return baseline, results
