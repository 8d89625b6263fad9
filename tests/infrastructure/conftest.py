"""One synthesis of the OmniHub stack shared by the infrastructure tests (synth takes a few seconds).

The synth runs like `cdk synth` would (cdk.json's context), with the placeholder layer so no pip download
is needed, into a temporary cloud assembly whose validation report carries the cdk-nag results.
"""

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from aws_cdk import App  # noqa: E402

from infra_cdk.app import STACK_NAME, build  # noqa: E402
from infra_cdk.config import PLACEHOLDER_LAYER, REPO_ROOT  # noqa: E402
from infra_cdk.stack import OmniHubStack  # noqa: E402


@dataclass(frozen=True)
class Synth:
    stack: OmniHubStack
    template: dict[str, Any]
    outdir: Path

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.template["Resources"]
        return resources

    def of_type(self, cfn_type: str) -> dict[str, Any]:
        return {key: value for key, value in self.resources.items() if value["Type"] == cfn_type}

    def validation_report(self) -> dict[str, Any]:
        report: dict[str, Any] = json.loads((self.outdir / "validation-report.json").read_text())
        return report


def ref_id(value: Any) -> str:
    """The logical id behind `{"Ref": id}` or `{"Fn::GetAtt": [id, attr]}`."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise AssertionError(f"not a Ref/GetAtt: {value!r}")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(synth: "Synth", role_id: str) -> list[dict[str, Any]]:
    """Every statement of the inline policies attached to `role_id`."""
    found: list[dict[str, Any]] = []
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if role_id in [ref_id(r) for r in policy["Properties"]["Roles"]]:
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return context


def synthesize(outdir: Path, **overrides: Any) -> Synth:
    app = App(context={**cdk_json_context(), PLACEHOLDER_LAYER: True, **overrides}, outdir=str(outdir))
    stack = build(app)
    assembly = app.synth()
    template = assembly.get_stack_by_name(STACK_NAME).template
    return Synth(stack=stack, template=template, outdir=outdir)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    yield synthesize(tmp_path_factory.mktemp("cdk-out"))
