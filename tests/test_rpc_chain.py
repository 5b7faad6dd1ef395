"""Any RPC URL + key from the chain settings works like the embedded chain (here: a separate anvil)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from dagster import EnvVar, materialize

from integrity.chain import DEV_PRIVATE_KEYS, ChainConfig, DevKeyRefused, ensure_key_allowed
from integrity.devchain import DevChain
from integrity.keys import anchor_key
from integrity.layout import DayLayout
from pipelines.definitions import ALL_ASSETS
from pipelines.resources import ChainResource, DatasetsResource, SourceResource
from settings import load_settings


@pytest.mark.chain
def test_pipeline_anchors_through_environment_rpc_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = dt.date(2026, 6, 3)
    with DevChain(tmp_path / "node") as node:  # stands in for any EVM node
        assert node.deployment is not None
        monkeypatch.setenv("PERUCOMPRAS_CHAIN__MODE", "rpc")
        monkeypatch.setenv("PERUCOMPRAS_CHAIN__RPC_URLS", node.rpc_url)
        monkeypatch.setenv("PERUCOMPRAS_CHAIN__PRIVATE_KEY", DEV_PRIVATE_KEYS[0])
        monkeypatch.setenv("PERUCOMPRAS_CHAIN__CONTRACT", node.deployment.contract)
        chain = ChainResource.from_settings(load_settings())
        assert isinstance(chain.private_key, EnvVar)  # resolved by Dagster at run time only
        resources = {
            "source": SourceResource(
                kind="synthetic", directory=str(tmp_path / "source"), orders_per_month=300
            ),
            "datasets": DatasetsResource(root=str(tmp_path / "datasets")),
            "chain": chain,
        }
        result = materialize(ALL_ASSETS, partition_key=day.isoformat(), resources=resources)
        assert result.success
        layout = DayLayout(tmp_path / "datasets", "perucompras-ocam", day)
        reader = ChainConfig(rpc_url=node.rpc_url, contract_address=node.deployment.contract)
        stored = reader.client().get_anchor(anchor_key("perucompras-ocam", day))
        assert stored is not None
        assert stored.digest.hex() == hashlib.sha256(layout.manifest.read_bytes()).hexdigest()
        assert result.output_for_node("anchored_day")["devChain"] is False


@pytest.mark.parametrize("chain_id", [1, 137, 648529])
def test_well_known_dev_keys_are_refused_on_any_other_chain(chain_id: int) -> None:
    with pytest.raises(DevKeyRefused):
        ensure_key_allowed(chain_id, DEV_PRIVATE_KEYS[0])
    ensure_key_allowed(31337, DEV_PRIVATE_KEYS[0])


def test_trust_pin_is_never_moved_silently(tmp_path: Path) -> None:
    from publication.writer import PublicationError, write_trust

    pin = {"chainId": 31337, "contract": "0x" + "11" * 20, "publisher": "0x" + "22" * 20}
    write_trust(tmp_path, pin)
    write_trust(tmp_path, dict(pin))  # same pin: fine
    with pytest.raises(PublicationError, match="contract"):
        write_trust(tmp_path, {**pin, "contract": "0x" + "33" * 20})
