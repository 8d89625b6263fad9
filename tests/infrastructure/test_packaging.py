"""What the code asset ships, and the warning for a layer without the runtime's bytecode."""

from pathlib import Path

import pytest
from aws_cdk import App, IgnoreStrategy
from aws_cdk.assertions import Annotations, Match

from infra_cdk import config
from infra_cdk.config import REPO_ROOT
from infra_cdk.constructs import packaging
from infra_cdk.stack import OmniHubStack

pytestmark = pytest.mark.xdist_group("cdk")


def _shipped(relative: str) -> bool:
    strategy = IgnoreStrategy.git(str(REPO_ROOT), packaging.CODE_EXCLUDE)
    return not strategy.ignores(str(REPO_ROOT / relative))


@pytest.mark.parametrize(
    ("path", "shipped"),
    [
        ("connectors/douyin/handler.py", True),
        ("connectors/douyin/__pycache__/handler.cpython-312.pyc", True),  # the runtime's bytecode
        ("connectors/douyin/__pycache__/handler.cpython-311.pyc", False),  # a dev interpreter's
        ("schemas/__pycache__/order.cpython-313.pyc", False),
        ("localhub/demo.py", False),
        ("tests/conftest.py", False),
    ],
)
def test_the_code_asset_ships_the_runtime_packages_and_only_the_runtime_bytecode(path: str, shipped: bool) -> None:
    assert _shipped(path) is shipped


def _layer(tmp_path: Path, *, bytecode: bool) -> Path:
    cache = tmp_path / "layer" / "python" / "boto3" / "__pycache__"
    cache.mkdir(parents=True)
    if bytecode:
        (cache / f"__init__.{packaging.BYTECODE_TAG}.pyc").write_bytes(b"")
    return tmp_path / "layer"


@pytest.mark.parametrize("bytecode", [False, True])
def test_a_layer_without_the_runtime_bytecode_is_flagged_at_synth(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bytecode: bool
) -> None:
    monkeypatch.setattr(packaging, "LAYER_DIR", _layer(tmp_path, bytecode=bytecode))
    stack = OmniHubStack(App(context={config.PLACEHOLDER_LAYER: False}), "LayerBytecode")
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("no cpython-312 bytecode"))
    assert bool(warnings) is not bytecode
