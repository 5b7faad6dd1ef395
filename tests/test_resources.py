"""The Dagster resources mirror the settings: same defaults, built from one settings object."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from dagster import EnvVar
from eth_account import Account

from pipelines.resources import ChainResource, DatasetsResource, SourceResource, build_resources
from settings import Identity, load_settings


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("PERUCOMPRAS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_resource_defaults_are_the_settings_defaults() -> None:
    settings = load_settings()
    assert DatasetsResource().identity() == settings.identity
    built = build_resources(settings)
    datasets, source, chain = built["datasets"], built["source"], built["chain"]
    assert isinstance(datasets, DatasetsResource)
    assert isinstance(source, SourceResource) and isinstance(chain, ChainResource)
    assert datasets.identity() == Identity()
    assert Path(datasets.root) == settings.datasets_root
    assert datasets.state_path == settings.status_store_dir
    assert source.kind == "synthetic" and source.orders_per_month == 10_000
    assert chain.mode == "devchain" and Path(chain.state_dir) == settings.devchain_dir


def test_identity_settings_reach_the_datasets_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERUCOMPRAS_IDENTITY__BASE_URL", "https://datos.abiertos.pe/x/")
    monkeypatch.setenv("PERUCOMPRAS_IDENTITY__PUBLISHER_URI", "https://observatorio.pe")
    datasets = DatasetsResource.from_settings(load_settings())
    assert datasets.base_url == "https://datos.abiertos.pe/x"
    assert datasets.identity().publisher_uri == "https://observatorio.pe"


def test_secrets_from_the_environment_stay_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__PRIVATE_KEY", "0x" + "3c" * 32)
    chain = ChainResource.from_settings(load_settings())
    assert isinstance(chain.private_key, EnvVar)
    assert chain.private_key.env_var_name == "PERUCOMPRAS_CHAIN__PRIVATE_KEY"


def test_signing_key_from_a_keystore(tmp_path: Path) -> None:
    key = "0x" + "4d" * 32
    keystore = tmp_path / "publicador.json"
    encrypted = Account.encrypt(key, "clave-larga", kdf="pbkdf2", iterations=1000)
    keystore.write_text(json.dumps(encrypted), encoding="utf-8")
    chain = ChainResource(
        mode="rpc",
        chain_id=1337,
        rpc_urls=["http://127.0.0.1:9"],
        keystore=str(keystore),
        keystore_passphrase="clave-larga",
    )
    account = chain.config().account()
    assert account is not None and "0x" + bytes(account.key).hex() == key
