"""JD receiver fields → ciphertext, masked text and region in clear (shared by `jd` and `jd_dps`).

With the `en*` APIs JD sends name, phone and address TDE-encrypted, plus desensitised phones (`desen_mobile`,
`desen_telephone`, `desen_phone`); region names come in clear (platforms.md §3.3).

[INFERRED] recognising a value: TDE ciphertext is Base64 text of at least 24 characters (no CJK, no spaces);
a value with `*` is already masked; anything else is treated as plaintext and only a mask computed here is kept,
so plaintext never reaches the canonical order.
"""

import re
from collections.abc import Callable, Mapping
from typing import Any

from schemas.order import Receiver

_CIPHER = re.compile(r"^[A-Za-z0-9+/]{22,}={0,2}$")


def text(value: Any) -> str | None:
    if value is None:
        return None
    result = str(value).strip()
    return result or None


def is_cipher(value: str) -> bool:
    return len(value) >= 24 and _CIPHER.fullmatch(value) is not None


def mask_name(value: str) -> str:
    return value[0] + "*" * max(len(value) - 1, 1)


def mask_phone(value: str) -> str:
    digits = value.strip()
    return "*" * max(len(digits) - 4, 3) + digits[-4:] if len(digits) > 4 else "****"


def split(value: str | None, mask: Callable[[str], str]) -> tuple[str | None, str | None]:
    """(ciphertext, masked) for one receiver field."""
    if value is None:
        return None, None
    if is_cipher(value):
        return value, None
    if "*" in value:
        return None, value
    return None, mask(value)


def build_receiver(
    *,
    name: str | None,
    phone: str | None,
    phone_masked: str | None,
    address: str | None,
    province: str | None,
    city: str | None,
    district: str | None,
    town: str | None,
    match_token: str | None = None,
) -> Receiver:
    region = "".join(p for p in (province, city, district, town) if p)
    name_cipher, name_masked = split(name, mask_name)
    phone_cipher, phone_own_mask = split(phone, mask_phone)
    address_cipher, address_masked = split(address, lambda _: f"{region}****")
    if address_cipher is not None and address_masked is None:
        address_masked = f"{region}****"
    return Receiver(
        name_cipher=name_cipher,
        name_masked=name_masked,
        phone_cipher=phone_cipher,
        phone_masked=phone_masked if phone_masked and "*" in phone_masked else phone_own_mask,
        address_cipher=address_cipher,
        address_masked=address_masked,
        province=province,
        city=city,
        district=district,
        town=town,
        match_token=match_token,
    )


def first_text(record: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = text(record.get(name))
        if value is not None:
            return value
    return None
