"""cdk-nag v3: the AwsSolutions pack runs as a CDK policy-validation plugin; an unacknowledged finding fails
synthesis. Acknowledgements are made next to the resource they concern, each with a concrete reason."""

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

PACK = "AwsSolutions"


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge `rule` (e.g. `AwsSolutions-IAM5[Resource::*]`) on `construct` and everything below it."""
    if not reason.strip():
        raise ValueError(f"acknowledging {rule} needs a reason")
    Validations.of(construct).acknowledge(Acknowledgment(id=f"{PACK}::{rule}", reason=reason))
