"""Lambda code and dependencies without Docker.

Code: one asset of the repository's runtime packages, chosen by an allow-list (gitignore syntax), so a
new top-level directory never leaks into the deployment package. Dependencies: one layer from
`.build/layer`, made by `make layer` (pip, manylinux2014_x86_64 wheels for CPython 3.12). `make layer` also
compiles the layer and the code to 3.12 bytecode, which both ship: Lambda cannot write a bytecode cache, so
without it every cold start compiles every module from source. Unit-test synths set the context flag
`omnihub:placeholder-layer` and get an empty, clearly marked layer instead.
"""

from pathlib import Path

from aws_cdk import Annotations, IgnoreMode
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra_cdk.config import PLACEHOLDER_LAYER, REPO_ROOT, HubConfig
from infra_cdk.naming import pin_logical_id

RUNTIME = lambda_.Runtime.PYTHON_3_12  # the layer's wheels are cp312 (Makefile `layer`: --python-version 3.12)
ARCHITECTURE = lambda_.Architecture.X86_64  # the layer's wheels are manylinux2014_x86_64
BYTECODE_TAG = "cpython-312"  # `make layer` compiles the layer and the code with LAMBDA_PYTHON (3.12)

RUNTIME_PACKAGES = ("schemas", "hubcore", "connectors", "functions", "config")
CODE_EXCLUDE = [
    "/*",
    *(f"!/{package}" for package in RUNTIME_PACKAGES),
    # Only bytecode for the runtime's Python (`make layer` compiles it): the rest would be dead weight.
    "*.pyc",
    f"!*.{BYTECODE_TAG}.pyc",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "*.egg-info",
]

LAYER_DIR = REPO_ROOT / ".build" / "layer"
PLACEHOLDER_DIR = REPO_ROOT / ".build" / "layer-placeholder"
PLACEHOLDER_NOTE = (
    "PLACEHOLDER LAYER: created by infra_cdk for unit-test synths (context omnihub:placeholder-layer=true).\n"
    "It holds no dependencies and must never be deployed; run `make layer` for the real one.\n"
)


class LambdaPackaging(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: HubConfig) -> None:
        super().__init__(scope, construct_id)
        self.code = lambda_.Code.from_asset(str(REPO_ROOT), exclude=CODE_EXCLUDE, ignore_mode=IgnoreMode.GIT)
        layer_dir = self._placeholder_dir() if config.placeholder_layer else self._layer_dir()
        self.layer = lambda_.LayerVersion(
            self,
            "DependenciesLayer",
            code=lambda_.Code.from_asset(str(layer_dir)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description=(
                "PLACEHOLDER (unit-test synth, not deployable)"
                if config.placeholder_layer
                else "OmniHub dependencies from requirements-lambda.lock"
            ),
        )
        pin_logical_id(self.layer, "DependenciesLayer")
        if config.placeholder_layer:
            Annotations.of(self).add_warning_v2(
                "omnihub:placeholder-layer", "Synthesized with the placeholder layer; this template is not deployable."
            )
        elif not self.has_runtime_bytecode(layer_dir):
            Annotations.of(self).add_warning_v2(
                "omnihub:layer-bytecode",
                f"The layer holds no {BYTECODE_TAG} bytecode: every cold start compiles the dependencies from "
                "source (bare boto3: ~0.85 s instead of ~0.15 s). Run `make layer` with Python 3.12 available.",
            )

    @staticmethod
    def has_runtime_bytecode(layer_dir: Path) -> bool:
        return (layer_dir / "python" / "boto3" / "__pycache__" / f"__init__.{BYTECODE_TAG}.pyc").is_file()

    @staticmethod
    def _layer_dir() -> Path:
        if not (LAYER_DIR / "python").is_dir():
            raise FileNotFoundError(
                f"{LAYER_DIR}/python is missing: run `make layer` first "
                f"(or synthesize with -c {PLACEHOLDER_LAYER}=true for a non-deployable template)"
            )
        return LAYER_DIR

    @staticmethod
    def _placeholder_dir() -> Path:
        (PLACEHOLDER_DIR / "python").mkdir(parents=True, exist_ok=True)
        note = PLACEHOLDER_DIR / "python" / "PLACEHOLDER.txt"
        if not note.exists() or note.read_text() != PLACEHOLDER_NOTE:
            note.write_text(PLACEHOLDER_NOTE)
        return PLACEHOLDER_DIR
