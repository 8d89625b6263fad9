"""Free text the buyer and the seller wrote, and the masked address: keyword lists."""

from typing import Literal

from pydantic import Field, field_validator

from functions.workflow.logic.audit.base import RuleBase
from functions.workflow.logic.audit.facts import OrderFacts

TextField = Literal["buyer_message", "seller_memo", "address_masked", "town"]


class KeywordRule(RuleBase):
    """A keyword (case-insensitive substring) in one of the named text fields.

    The hit names the field and the keyword only: messages can hold phone numbers and addresses.
    """

    kind: Literal["text_keywords"]
    fields: tuple[TextField, ...] = Field(min_length=1)
    keywords: tuple[str, ...] = Field(min_length=1)

    @field_validator("keywords")
    @classmethod
    def _folded(cls, keywords: tuple[str, ...]) -> tuple[str, ...]:
        folded = tuple(word.strip().casefold() for word in keywords)
        if not all(folded):
            raise ValueError("keywords must not be blank")
        return folded

    def evaluate(self, facts: OrderFacts) -> str | None:
        order, receiver = facts.order, facts.order.receiver
        texts = {
            "buyer_message": order.buyer_message,
            "seller_memo": order.seller_memo,
            "address_masked": receiver.address_masked,
            "town": receiver.town,
        }
        for field in self.fields:
            text = (texts[field] or "").casefold()
            if text:
                for word in self.keywords:
                    if word in text:
                        return f"{field} mentions '{word}'"
        return None
