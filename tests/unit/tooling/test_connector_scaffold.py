"""`omnihub connector new`: the scaffold is discovered, passes the kit's structural checks at once and fails
every behavioural check until its author fills it in."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from connectors.sdk.scaffold import ScaffoldError, new_connector
from localhub.cli import main

REPO = Path(__file__).parents[3]


def _kit_results(extra: Path, channel: str, tmp_path: Path) -> dict[str, str]:
    report = tmp_path / f"{channel}.xml"
    env = {**os.environ, "OMNIHUB_EXTRA_CONNECTORS": str(extra)}
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "tests/conformance",
         "-k", channel, f"--junitxml={report}"],
        cwd=REPO, env=env, capture_output=True, check=False, timeout=600,
    )  # fmt: skip
    outcomes: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        outcome = "failed" if kinds & {"failure", "error"} else "skipped" if "skipped" in kinds else "passed"
        outcomes[f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"] = outcome
    return outcomes


@pytest.mark.parametrize("intake", ["webhook", "poll"])
def test_scaffold_round_trip(intake: str, tmp_path: Path) -> None:
    channel = f"acme_{intake}"
    assert main(["connector", "new", channel, "--intake", intake, "--root", str(tmp_path)]) == 0
    results = _kit_results(tmp_path / "connectors", channel, tmp_path)

    structural = {name: outcome for name, outcome in results.items() if name.startswith("test_structure")}
    behavioural = {name: outcome for name, outcome in results.items() if name.startswith("test_behaviour")}
    assert len(structural) == 6 and set(structural.values()) == {"passed"}, structural
    assert behavioural and "passed" not in behavioural.values(), behavioural
    assert list(behavioural.values()).count("failed") >= 8


def test_scaffold_refuses_bad_names_and_existing_packages(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError):
        new_connector("Bad-Name", root=tmp_path)
    with pytest.raises(ScaffoldError):
        new_connector("sdk", root=tmp_path)
    new_connector("acme", root=tmp_path)
    with pytest.raises(ScaffoldError, match="already exists"):
        new_connector("acme", root=tmp_path)
    assert main(["connector", "new", "acme", "--root", str(tmp_path)]) == 2
