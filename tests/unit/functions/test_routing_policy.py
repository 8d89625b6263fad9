"""Policy and network files: validated, fingerprinted, references checked, bad files refused clearly."""

import hashlib
import json

import pytest

from functions.workflow.logic.routing import (
    RoutingConfigError,
    check_references,
    load_network,
    load_policy,
    parse_network,
    parse_policy,
)
from functions.workflow.logic.routing.network import DEFAULT_NETWORK_FILE
from functions.workflow.logic.routing.policy import DEFAULT_POLICY_FILE
from tests.unit.functions.test_routing_fixtures import CATALOG, network, node

RAW_POLICY = json.loads(DEFAULT_POLICY_FILE.read_bytes())


def policy_bytes(**changes):
    data = json.loads(json.dumps(RAW_POLICY))
    for path, value in changes.items():
        target = data
        *parents, leaf = path.split("__")
        for key in parents:
            target = target[key]
        target[leaf] = value
    return json.dumps(data).encode()


def test_packaged_policy_loads_with_the_files_checksum():
    policy = load_policy(str(DEFAULT_POLICY_FILE))

    assert policy.checksum == hashlib.sha256(DEFAULT_POLICY_FILE.read_bytes()).hexdigest()
    assert policy.label == f"{RAW_POLICY['version']}#{policy.checksum[:12]}"
    check_references(policy, load_network(str(DEFAULT_NETWORK_FILE)))


def test_policy_file_override_by_environment(tmp_path, monkeypatch):
    custom = tmp_path / "policy.json"
    custom.write_bytes(policy_bytes(version="custom-7"))
    monkeypatch.setenv("OMNIHUB_ROUTING_POLICY_FILE", str(custom))
    load_policy.cache_clear()
    try:
        assert load_policy().version == "custom-7"
    finally:
        load_policy.cache_clear()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (policy_bytes(weights__freight="-1"), "weights.freight"),
        (
            policy_bytes(weights=dict.fromkeys(RAW_POLICY["weights"], "0")),
            "at least one score weight must be positive",
        ),
        (policy_bytes(delivery__transit_days={"same_city": 1}), "delivery.transit_days.same_province"),
        (policy_bytes(split__max_parcels=0), "split.max_parcels"),
        (policy_bytes(merge__window_minutes=0), "merge.window_minutes"),
        (policy_bytes(surprise=True), "surprise"),
        (b"{not json", "invalid routing policy"),
    ],
)
def test_bad_policy_files_are_refused_with_the_field_named(raw, message):
    with pytest.raises(RoutingConfigError) as caught:
        parse_policy(raw)
    assert message in caught.value.message
    assert caught.value.code == "ROUTING_CONFIG_INVALID"


def test_a_policy_preferring_unknown_nodes_is_refused():
    policy = parse_policy(policy_bytes(channel_rules__preferred_nodes={"douyin": ["WH-HZ", "WH-GONE"]}))

    with pytest.raises(RoutingConfigError, match="douyin:WH-GONE"):
        check_references(policy, load_network(str(DEFAULT_NETWORK_FILE)))


def network_bytes(*nodes, **changes):
    base = network(node("HZ", "浙江省", "杭州市")).model_dump(mode="json")
    base["nodes"] = list(nodes) or base["nodes"]
    base.update(changes)
    return json.dumps(base).encode()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (network_bytes(node("HZ", "浙江省", "杭州市", carriers=["NOPE"])), "unknown carrier 'NOPE'"),
        (network_bytes(node("HZ", "浙江省", "杭州市"), node("HZ", "上海市", "上海市")), "duplicate node id 'HZ'"),
        (network_bytes(node("HZ", "浙江省", "杭州市", coverage=["火星"])), "unknown coverage '火星'"),
        (network_bytes(node("HZ", "火星省", "杭州市")), "province '火星省' is in no region"),
        (network_bytes(catalog=[*CATALOG, CATALOG[0]]), "duplicate catalog sku 'SMALL'"),
    ],
)
def test_bad_network_files_are_refused_with_the_reference_named(raw, message):
    with pytest.raises(RoutingConfigError, match="invalid network file") as caught:
        parse_network(raw)
    assert message in caught.value.message


def test_a_node_covering_a_province_no_carrier_prices_is_refused():
    data = json.loads(network_bytes())
    for carrier in data["carriers"]:
        carrier["rates"] = [r for r in carrier["rates"] if r["origin"] != "*"]  # no national rows any more
    with pytest.raises(RoutingConfigError, match="covers 北京市 but none of its carriers has a rate there"):
        parse_network(json.dumps(data).encode())


def test_packaged_network_checksum_and_backlog_override():
    demo = load_network(str(DEFAULT_NETWORK_FILE))
    busier = demo.with_backlog({"WH-HZ": 2999})

    assert demo.checksum == hashlib.sha256(DEFAULT_NETWORK_FILE.read_bytes()).hexdigest()
    assert busier.node("WH-HZ").backlog == 2999 and demo.node("WH-HZ").backlog != 2999
    assert busier.checksum == demo.checksum
