"""Where listings come from: the brand publishes a product on a platform and the platform assigns its ids.

In production an operator (or a product-sync job) registers each `merchant SKU -> StockItem` per channel
shop with `register_listing`. The local demo takes the ids from each simulator's `listing(shop, sku)`, which
assigns them the way the platform would, through `seed_from_simulators`.
"""

from collections.abc import Iterable, Mapping
from typing import Protocol

from connectors.sdk.contracts import StockItem
from hubcore.adapters.channel_stock import ChannelStockStore


class ListsProducts(Protocol):
    """What seeding needs of a platform simulator (`connectors.sdk.simulator.PlatformSimulator`)."""

    shop_tokens: dict[str, str]

    def listing(self, shop_id: str, merchant_sku: str) -> StockItem: ...


def register_listing(channel: str, shop_id: str, item: StockItem, *, store: ChannelStockStore | None = None) -> None:
    """Record the platform's ids of a merchant SKU in a channel shop (idempotent; sync state is kept)."""
    (store or ChannelStockStore()).register_listing(
        channel, shop_id, item.merchant_sku, item.channel_sku_id, item.channel_product_id
    )


def seed_from_simulators(
    simulators: Mapping[str, ListsProducts],
    skus: Iterable[str],
    *,
    shops: Mapping[str, Iterable[str]] | None = None,
    store: ChannelStockStore | None = None,
) -> list[tuple[str, str, StockItem]]:
    """List every SKU in every shop of every simulator (or only the `shops` given per channel) and register
    the ids each simulator assigns; returns what was registered."""
    store = store or ChannelStockStore()
    wanted = sorted(set(skus))
    registered: list[tuple[str, str, StockItem]] = []
    for channel, simulator in sorted(simulators.items()):
        channel_shops = sorted((shops or {}).get(channel, simulator.shop_tokens))
        for shop_id in channel_shops:
            for sku in wanted:
                item = simulator.listing(shop_id, sku)
                register_listing(channel, shop_id, item, store=store)
                registered.append((channel, shop_id, item))
    return registered
