"""`publicar` loads the settings once, shows where each came from and refuses before writing."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main
from settings import setting_paths

PUBLICAR = Path(sys.executable).parent / "publicar"
KEY = "0x" + "5a" * 32


@pytest.fixture(autouse=True)
def workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty working directory and no PERUCOMPRAS_* variable from the caller."""
    for name in list(os.environ):
        if name.startswith("PERUCOMPRAS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _rows(text: str) -> dict[str, list[str]]:
    """`publicar config` table: name -> [value, source, variable]."""
    rows = {}
    for line in text.splitlines()[1:]:
        name, rest = line.split(maxsplit=1)
        *value, source, env = rest.rsplit(maxsplit=2)
        rows[name] = [" ".join(value), source, env]
    return rows


def test_config_shows_every_setting_with_its_source(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    (workdir / "perucompras.toml").write_text(
        'dataset = "ocam-prueba"\n[identity]\nbase_url = "https://datos.ejemplo.pe"\n'
    )
    monkeypatch.setenv("PERUCOMPRAS_IDENTITY__OCID_PREFIX", "ocds-zz9999")
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__PRIVATE_KEY", KEY)
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"settings file: {workdir / 'perucompras.toml'}"
    rows = _rows(out)
    assert rows["identity.ocid_prefix"] == [
        "ocds-zz9999",
        "environment",
        "PERUCOMPRAS_IDENTITY__OCID_PREFIX",
    ]
    assert rows["dataset"][:2] == ["ocam-prueba", "file"]
    assert rows["identity.base_url"][:2] == ["https://datos.ejemplo.pe", "file"]
    assert rows["identity.license"][1] == "default"
    assert rows["chain.private_key"][:2] == ["********", "environment"]
    assert KEY[2:] not in out
    assert rows["gx_cross_check"] == ["true", "default", "PERUCOMPRAS_GX_CROSS_CHECK"]
    assert rows["bulk.ahead_memory_limit"][:2] == ["256MB", "default"]
    assert len(rows) == len(list(setting_paths())) == 69


def test_config_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["configFile"] is None
    by_name = {s["name"]: s for s in payload["settings"]}
    assert by_name["identity.ocid_prefix"]["value"] == "ocds-213czf"
    assert {s["source"] for s in payload["settings"]} == {"default"}


def test_flags_override_the_settings(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    from pipelines.cli import run
    from settings import load_settings

    args = [
        "--datasets",
        str(workdir / "otro"),
        "--chain",
        "devchain",
        "--source",
        str(workdir),
        "--orders-per-month",
        "5",
    ]
    parsed = argparse.ArgumentParser()
    run.add_arguments(parsed)
    settings = load_settings(overrides=run.overrides(parsed.parse_args(args)))
    assert settings.datasets_root == workdir / "otro"
    assert settings.source.kind == "directory" and settings.source_dir == workdir
    assert settings.source.orders_per_month == 5
    assert settings.devchain_dir == workdir / ".otro-devchain"
    assert settings.origin("datasets_root") == "argument"


def test_production_run_with_defaults_refuses_before_touching_any_file(workdir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERUCOMPRAS_")}
    env["PERUCOMPRAS_PROFILE"] = "production"
    done = subprocess.run(
        [str(PUBLICAR), "run"], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "identity.ocid_prefix" in done.stderr
    assert "PERUCOMPRAS_IDENTITY__OCID_PREFIX" in done.stderr
    assert done.stdout == ""
    assert not (workdir / "datasets").exists()
    assert list(workdir.iterdir()) == []


def test_history_start_bounds_the_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    monkeypatch.setenv("PERUCOMPRAS_HISTORY_START", "2024-01-01")
    assert main(["run", "--from", "2023-12-31", "--to", "2024-01-02"]) == 2
    assert "PERUCOMPRAS_HISTORY_START" in capsys.readouterr().err
    assert list(workdir.iterdir()) == []


def test_deploy_refuses_an_official_pin_for_the_dev_chain(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["deploy", "--official", "algo"]) == 2
    assert "cannot name the embedded dev chain" in capsys.readouterr().err


def test_anchor_status_of_an_empty_journal(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["anchor", "--status"]) == 0
    assert "the anchor journal is empty" in capsys.readouterr().out
