"""Province names and distance tiers: same city, same province, same region (华东/华南/…), national.

Platforms write province names in full (`浙江省`, `北京市`, `广西壮族自治区`); some write the short form
(`浙江`, `广西`). Both are accepted and mapped to the full name the network file uses.
"""

from collections.abc import Iterable, Mapping
from enum import IntEnum

_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


class DistanceTier(IntEnum):
    """How far a parcel travels; the integer is the tier's rank (0 nearest)."""

    SAME_CITY = 0
    SAME_PROVINCE = 1
    SAME_REGION = 2
    NATIONAL = 3


def short_name(name: str) -> str:
    """`浙江省` -> `浙江`, `广西壮族自治区` -> `广西`, `杭州市` -> `杭州` (already short names stay)."""
    text = name.strip()
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def province_aliases(provinces: Iterable[str]) -> dict[str, str]:
    """Every accepted spelling -> the full name."""
    aliases: dict[str, str] = {}
    for full in provinces:
        aliases[full] = full
        aliases[short_name(full)] = full
    return aliases


def distance_tier(
    origin_province: str,
    origin_city: str,
    destination_province: str,
    destination_city: str | None,
    region_of: Mapping[str, str],
) -> DistanceTier:
    if origin_province == destination_province:
        if destination_city and short_name(origin_city) == short_name(destination_city):
            return DistanceTier.SAME_CITY
        return DistanceTier.SAME_PROVINCE
    if region_of.get(origin_province) == region_of.get(destination_province):
        return DistanceTier.SAME_REGION
    return DistanceTier.NATIONAL
