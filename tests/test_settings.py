"""The settings object: precedence of sources, validation, and the production profile's refusals."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from settings import (
    EXAMPLE_OCID_PREFIX,
    Settings,
    SettingsError,
    describe,
    env_name,
    load_settings,
    setting_paths,
)
from settings.model import dev_addresses, is_placeholder_url

# A complete production configuration (no real key: a key is only needed with a signing step).
PRODUCTION_ENV = {
    "PERUCOMPRAS_PROFILE": "production",
    "PERUCOMPRAS_IDENTITY__OCID_PREFIX": "ocds-abc123",
    "PERUCOMPRAS_IDENTITY__BASE_URL": "https://datos.perucompras.gob.pe/ocds",
    "PERUCOMPRAS_IDENTITY__PUBLISHER_NAME": "Publicador de prueba",
    "PERUCOMPRAS_IDENTITY__PUBLISHER_SCHEME": "PE-RUC",
    "PERUCOMPRAS_IDENTITY__PUBLISHER_UID": "20100000001",
    "PERUCOMPRAS_IDENTITY__CONTACT_EMAIL": "datos@publicador.pe",
    "PERUCOMPRAS_SOURCE__KIND": "directory",
    "PERUCOMPRAS_SOURCE__DIRECTORY": "fuentes",
    "PERUCOMPRAS_CHAIN__MODE": "rpc",
    "PERUCOMPRAS_CHAIN__RPC_URLS": "https://rpc.one.net,https://rpc.two.net",
    "PERUCOMPRAS_CHAIN__CHAIN_ID": "137",
    "PERUCOMPRAS_CHAIN__CONTRACT": "0x" + "ab" * 20,
    "PERUCOMPRAS_CHAIN__PRIVATE_KEY": "0x" + "11" * 32,
}


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No PERUCOMPRAS_* variable from the caller; an empty working directory."""
    for name in list(os.environ):
        if name.startswith("PERUCOMPRAS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _set(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_defaults_are_the_dev_profile(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.profile == "dev"
    assert settings.identity.ocid_prefix == EXAMPLE_OCID_PREFIX
    assert settings.identity.base_url == "http://127.0.0.1:8000"  # where `publicar serve` serves
    assert settings.identity.ocid_pattern == "{prefix}-{order_id}"
    assert settings.chain.mode == "devchain"
    assert settings.history_start == dt.date(2022, 1, 1)
    assert settings.datasets_root == tmp_path / "datasets"
    assert settings.status_store_dir == tmp_path / ".datasets-state"
    assert settings.devchain_dir == tmp_path / ".devchain"
    assert settings.source_dir == tmp_path / ".cache" / "source" / "synthetic"
    assert settings.config_file is None
    origins = {row.origin for row in describe(settings)}
    assert origins == {"default"}


def test_environment_beats_file_beats_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "perucompras.toml").write_text(
        'dataset = "otro-dataset"\n'
        "[identity]\n"
        'ocid_prefix = "ocds-file01"\n'
        'base_url = "https://datos.ejemplo.pe/ocds/"\n'
        "[chain]\n"
        "confirmations = 3\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PERUCOMPRAS_IDENTITY__OCID_PREFIX", "ocds-env001")
    monkeypatch.setenv("PERUCOMPRAS_DATASETS_ROOT", str(tmp_path / "publicados"))
    settings = load_settings(overrides={"chain": {"confirmations": 5}})
    assert settings.config_file == tmp_path / "perucompras.toml"
    assert settings.identity.ocid_prefix == "ocds-env001"
    assert settings.identity.base_url == "https://datos.ejemplo.pe/ocds"  # trailing / dropped
    assert settings.dataset == "otro-dataset"
    assert settings.chain.confirmations == 5
    assert settings.datasets_root == tmp_path / "publicados"
    assert settings.status_store_dir == tmp_path / ".publicados-state"
    assert settings.devchain_dir == tmp_path / ".publicados-devchain"
    origins = {row.path: row.origin for row in describe(settings)}
    assert origins["identity.ocid_prefix"] == "environment"
    assert origins["identity.base_url"] == "file"
    assert origins["dataset"] == "file"
    assert origins["chain.confirmations"] == "argument"
    assert origins["datasets_root"] == "environment"
    assert origins["identity.license"] == "default"


def test_config_file_named_by_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "conf" / "pc.toml"
    elsewhere.parent.mkdir()
    elsewhere.write_text('lang = "en"\n', encoding="utf-8")
    monkeypatch.setenv("PERUCOMPRAS_CONFIG", str(elsewhere))
    settings = load_settings()
    assert settings.lang == "en" and settings.origin("lang") == "file"
    monkeypatch.setenv("PERUCOMPRAS_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(SettingsError, match=r"missing\.toml.*does not exist"):
        load_settings()


def test_invalid_values_name_the_setting_and_how_to_set_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERUCOMPRAS_IDENTITY__OCID_PREFIX", "213czf")
    monkeypatch.setenv("PERUCOMPRAS_HISTORY_START", "2021-12-31")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "identity.ocid_prefix" in message and "PERUCOMPRAS_IDENTITY__OCID_PREFIX" in message
    assert "history_start" in message and "before the first monthly file" in message


def test_unknown_variables_and_typos_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERUCOMPRAS_IDENTITY__OCID_PREFX", "ocds-abc123")
    with pytest.raises(SettingsError, match="did you mean PERUCOMPRAS_IDENTITY__OCID_PREFIX"):
        load_settings()


def test_unknown_file_keys_are_refused(tmp_path: Path) -> None:
    (tmp_path / "perucompras.toml").write_text("[chain]\nrpc_url = 'https://x.net'\n")
    with pytest.raises(SettingsError, match=r"chain\.rpc_url: Extra inputs are not permitted"):
        load_settings()


def test_secrets_never_come_from_the_file(tmp_path: Path) -> None:
    (tmp_path / "perucompras.toml").write_text(f"[chain]\nprivate_key = '0x{'11' * 32}'\n")
    with pytest.raises(SettingsError, match="PERUCOMPRAS_CHAIN__PRIVATE_KEY in the environment"):
        load_settings()


def test_secrets_are_masked_in_the_description(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, {k: v for k, v in PRODUCTION_ENV.items() if k != "PERUCOMPRAS_PROFILE"})
    rows = {row.path: row for row in describe(load_settings())}
    assert rows["chain.private_key"].value == "********"
    assert rows["chain.private_key"].origin == "environment"
    assert "11" * 32 not in repr(load_settings())
    assert rows["chain.rpc_urls"].value == "https://rpc.one.net, https://rpc.two.net"


def test_rpc_mode_needs_endpoint_chain_id_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__MODE", "rpc")
    with pytest.raises(SettingsError, match=r"chain\.mode = rpc needs chain\.rpc_urls"):
        load_settings()
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__RPC_URLS", '["https://rpc.one.net"]')
    with pytest.raises(SettingsError, match=r"needs chain\.chain_id"):
        load_settings()
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__CHAIN_ID", "137")
    with pytest.raises(SettingsError, match="needs a signing key"):
        load_settings()
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__PRIVATE_KEY", "0x" + "11" * 32)
    settings = load_settings()  # no contract yet: `publicar deploy` makes one
    assert settings.chain.contract is None
    assert settings.chain.finality() == (None, None)


def test_finality_policy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__CONFIRMATIONS", "12")
    assert load_settings().chain.finality() == (None, 12)
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__FINALITY_TAG", "finalized")
    assert load_settings().chain.finality() == ("finalized", None)
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__FEE_BUMP_PERCENT", "5")
    with pytest.raises(SettingsError, match="fee_bump_percent"):
        load_settings()
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__FEE_BUMP_PERCENT", "30")
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__MAX_BATCH", "129")
    with pytest.raises(SettingsError, match="max_batch"):
        load_settings()


def test_production_refuses_every_dev_placeholder_naming_each_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PERUCOMPRAS_PROFILE", "production")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("the production profile (PERUCOMPRAS_PROFILE=production) refuses")
    refused = [line.strip().removeprefix("- ").split(":", 1)[0] for line in lines[1:]]
    assert refused == [
        "identity.ocid_prefix",
        "identity.base_url",
        "identity.publisher_name",
        "identity.publisher_scheme",
        "identity.publisher_uid",
        "identity.contact_email",
        "chain.mode",
        "source.kind",
    ]
    for name, line in zip(refused, lines[1:], strict=True):
        assert env_name(name) in line, line


def test_production_accepts_a_complete_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, PRODUCTION_ENV)
    settings = load_settings()
    assert settings.profile == "production"
    assert settings.chain.rpc_urls == ["https://rpc.one.net", "https://rpc.two.net"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PERUCOMPRAS_IDENTITY__BASE_URL", "https://datos.example.org/x"),
        ("PERUCOMPRAS_IDENTITY__BASE_URL", "https://portal.example/x"),
        ("PERUCOMPRAS_IDENTITY__POLICY_URL", "http://localhost:8000/policy.md"),
        ("PERUCOMPRAS_IDENTITY__CONTACT_EMAIL", "datos@perucompras.example"),
        ("PERUCOMPRAS_CHAIN__RPC_URLS", "https://rpc.one.net,http://127.0.0.1:8545"),
        ("PERUCOMPRAS_CHAIN__MODE", "devchain"),
        ("PERUCOMPRAS_SOURCE__KIND", "synthetic"),
        ("PERUCOMPRAS_IDENTITY__CONTACT_EMAIL", "datos@example.org"),
        ("PERUCOMPRAS_STORAGE__ENDPOINT_URL", "http://127.0.0.1:9000"),
        ("PERUCOMPRAS_IDENTITY__PUBLISHER_NAME", "Publicador de desarrollo (no oficial)"),
        ("PERUCOMPRAS_IDENTITY__PUBLISHER_SCHEME", "XX-DEV"),
        ("PERUCOMPRAS_IDENTITY__PUBLISHER_UID", "no-oficial"),
    ],
)
def test_production_refuses_one_placeholder(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    _set(monkeypatch, {**PRODUCTION_ENV, name: value})
    with pytest.raises(SettingsError) as caught:
        load_settings()
    problems = str(caught.value).splitlines()[1:]
    assert len(problems) == 1 and name in problems[0]


def test_production_refuses_the_well_known_dev_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    from eth_account import Account

    from integrity.chain import DEV_PRIVATE_KEYS

    assert dev_addresses() == {Account.from_key(k).address.lower() for k in DEV_PRIVATE_KEYS}
    _set(monkeypatch, {**PRODUCTION_ENV, "PERUCOMPRAS_CHAIN__PRIVATE_KEY": DEV_PRIVATE_KEYS[3]})
    with pytest.raises(SettingsError, match=r"chain\.private_key: a well-known dev key"):
        load_settings()


def test_placeholder_urls() -> None:
    placeholders = [
        "https://example.org",
        "http://a.example.org/x",
        "https://x.example",
        "http://localhost",
    ]
    assert all(is_placeholder_url(url) for url in placeholders)
    real = ["https://www.datosabiertos.gob.pe", "https://polygon-rpc.com", "https://examples.pe"]
    assert not any(is_placeholder_url(url) for url in real)


def test_every_leaf_setting_has_a_description() -> None:
    paths = list(setting_paths())
    assert len(paths) > 30
    for path in paths:
        group, _, name = path.rpartition(".")
        model = type(getattr(Settings(), group)) if group else Settings
        assert model.model_fields[name].description, path


def test_portal_source_needs_its_dataset_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERUCOMPRAS_SOURCE__KIND", "portal")
    with pytest.raises(SettingsError, match=r"source\.portal_dataset"):
        load_settings()
    monkeypatch.setenv("PERUCOMPRAS_SOURCE__PORTAL_DATASET", "ordenes-de-compra")
    assert load_settings().source_dir.name == "portal"


def test_readme_settings_table_is_generated_from_the_settings() -> None:
    from settings.docs import README, render_readme, settings_table

    text = README.read_text(encoding="utf-8")
    assert settings_table() in text
    assert render_readme(text) == text, "run `python -m settings.docs`"


@pytest.mark.parametrize(
    ("pattern", "ok"),
    [
        ("{prefix}-{order_id}", True),
        ("{prefix}-{order_number}", True),
        ("{prefix}-pc-{order_id}", True),
        ("{order_id}", False),
        ("{prefix}-{year}-{order_id}", False),
        ("{prefix}-AM-{order_id}", False),
        ("{prefix}-fijo", False),
    ],
)
def test_ocid_pattern_is_validated(monkeypatch: pytest.MonkeyPatch, pattern: str, ok: bool) -> None:
    monkeypatch.setenv("PERUCOMPRAS_IDENTITY__OCID_PATTERN", pattern)
    if ok:
        assert load_settings().identity.ocid_pattern == pattern
    else:
        with pytest.raises(SettingsError, match="PERUCOMPRAS_IDENTITY__OCID_PATTERN"):
            load_settings()


def test_production_needs_a_contact(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, PRODUCTION_ENV)
    monkeypatch.delenv("PERUCOMPRAS_IDENTITY__CONTACT_EMAIL")
    with pytest.raises(SettingsError, match=r"identity\.contact_email: a publication policy"):
        load_settings()
    monkeypatch.setenv("PERUCOMPRAS_IDENTITY__CONTACT_URL", "https://publicador.pe/contacto")
    assert load_settings().identity.contact_url == "https://publicador.pe/contacto"
