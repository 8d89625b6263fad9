"""Spreading an order-level amount over its lines in integer fen (shared by `jd` and `jd_dps`).

JD gives what the buyer paid per order, not per line (platforms.md §3.3: `orderPayment`; DPS: `pay`). Each line
gets a share proportional to its list value (price × quantity), rounded down, and the fen left over go to the
largest remainders — so the shares always add up to the total exactly, and a zero-valued line (a gift) gets 0.
"""

from collections.abc import Sequence


def allocate(total_fen: int, weights: Sequence[int]) -> list[int]:
    if total_fen < 0 or any(w < 0 for w in weights):
        raise ValueError("amounts to allocate must not be negative")
    weight_sum = sum(weights)
    if not weights:
        return []
    if weight_sum == 0:
        shares = [0] * len(weights)
        shares[0] = total_fen
        return shares
    shares = [total_fen * w // weight_sum for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total_fen * weights[i] % weight_sum), i))
    for index in remainders[: total_fen - sum(shares)]:
        shares[index] += 1
    return shares
