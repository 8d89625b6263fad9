"""Stable CloudFormation logical ids: the local hub finds resources in the synthesized template by these.

CDK's default logical ids carry a path hash; the hub's resources get fixed, readable ids instead
(`OrdersTable`, `OrderEventsFunction`, `DouyinPollSchedule`, ...). See docs/deploy.md for the full list.
"""

import re
from typing import cast

from aws_cdk import CfnResource
from constructs import IConstruct

_WORD = re.compile(r"[A-Za-z0-9]+")


def pascal(text: str) -> str:
    """`douyin` -> `Douyin`, `jd_pop` -> `JdPop`, `OrderEvents` stays `OrderEvents`."""
    return "".join(word[:1].upper() + word[1:] for word in _WORD.findall(text))


def pin_logical_id(construct: IConstruct, logical_id: str) -> None:
    """Give the construct's CloudFormation resource (its default child, or itself) a fixed logical id."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to name")
    cast(CfnResource, resource).override_logical_id(logical_id)
