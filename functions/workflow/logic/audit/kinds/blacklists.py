"""Blacklists of buyers, receivers (phone match token), addresses (merge key) and devices, as sha256 hashes."""

from typing import Annotated, Literal

from pydantic import Field

from functions.workflow.logic.audit.base import RuleBase
from functions.workflow.logic.audit.facts import OrderFacts

Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class BlacklistRule(RuleBase):
    """Hits when sha256(`{channel}:{value}`) of the subject is listed; the plaintext is never in the file."""

    kind: Literal["blacklist"]
    subject: Literal["buyer", "receiver", "address", "device"] = Field(
        description="buyer: buyer_id; receiver: receiver.match_token; address: merge_key; device: device_id"
    )
    sha256: frozenset[Sha256Hex]

    def evaluate(self, facts: OrderFacts) -> str | None:
        order = facts.order
        value = {
            "buyer": order.buyer_id,
            "receiver": order.receiver.match_token,
            "address": order.merge_key,
            "device": order.device_id,
        }[self.subject]
        if value and facts.hashed(value) in self.sha256:
            return f"{self.subject} is on the blacklist"
        return None
