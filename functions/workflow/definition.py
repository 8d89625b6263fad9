"""The order-fulfilment ASL file and its substitutions, as CDK and the tests apply them.

The file is a JSON template: `${<Name>FunctionArn}` for every catalog function with `in_state_machine=True`
and `${ShipmentTimeoutSeconds}` / `${ReviewTimeoutSeconds}`, which stand unquoted where ASL needs a number
(`TimeoutSeconds`), so the file becomes JSON only once substituted (CloudFormation's DefinitionSubstitutions
are textual too).
"""

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from functions.catalog import FUNCTIONS, STATE_MACHINE_FILE

ASL_PATH = Path(__file__).resolve().parents[2] / STATE_MACHINE_FILE
SHIPMENT_TIMEOUT = "ShipmentTimeoutSeconds"
REVIEW_TIMEOUT = "ReviewTimeoutSeconds"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def template() -> str:
    return ASL_PATH.read_text(encoding="utf-8")


def placeholders(text: str | None = None) -> set[str]:
    return set(_PLACEHOLDER.findall(template() if text is None else text))


def required_substitutions() -> set[str]:
    functions = {f"{spec.name}FunctionArn" for spec in FUNCTIONS if spec.in_state_machine}
    return functions | {SHIPMENT_TIMEOUT, REVIEW_TIMEOUT}


def render(substitutions: Mapping[str, str | int]) -> str:
    """The definition with every placeholder replaced; raises when one is missing."""
    text = template()
    missing = placeholders(text) - set(substitutions)
    if missing:
        raise ValueError(f"no value for {sorted(missing)}")
    rendered = _PLACEHOLDER.sub(lambda match: str(substitutions[match.group(1)]), text)
    json.loads(rendered)  # fails loudly if a substitution broke the JSON
    return rendered


def render_dict(substitutions: Mapping[str, str | int]) -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(render(substitutions))
    return definition
