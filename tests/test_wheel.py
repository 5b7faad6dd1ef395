"""The built wheel is complete: installed with no repository on the path, verificar works.

The wheel is built offline from a clean copy of the packages (setuptools' ``build/`` folder
would otherwise carry stale modules between builds), installed with ``--no-deps`` into a
fresh venv without pip; third-party dependencies come from this checkout's ``.venv`` through
PYTHONPATH (not a site directory, so the editable install's path hook stays off), and every
command runs from an empty working directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from test_vectors import SNAPSHOT, VECTORS, load_generator

REPO = Path(__file__).resolve().parents[1]
PACKAGES = (
    "integrity",
    "messages",
    "ocds_mappings",
    "perucompras",
    "pipelines",
    "publication",
    "quality",
    "settings",
)
# Every file of these packages is needed at run time (code, page, contract artifact, pins).
COMPLETE = ("integrity", "messages")
EXPECTED = {
    case["name"]: case for case in orjson.loads((VECTORS / "expected.json").read_bytes())["cases"]
}

pytestmark = pytest.mark.slow


@dataclass
class Installed:
    """A venv holding only the wheel, and how to run its commands."""

    wheel: Path
    venv: Path
    workdir: Path
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            cwd=self.workdir,
            env=self.env,
            timeout=120,
        )


def _source_copy(target: Path) -> Path:
    """pyproject.toml, README.md and the packages, without caches or build leftovers."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, target / name)
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("wheel")
    source = _source_copy(base / "source")
    dist = base / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run(
        [
            *pip,
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(dist),
            str(source),
        ],
        check=True,
        cwd=base,
        timeout=300,
    )
    (wheel,) = dist.glob("*.whl")
    target = base / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    subprocess.run(
        [
            *pip,
            "--python",
            str(target / "bin" / "python"),
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            str(wheel),
        ],
        check=True,
        cwd=base,
        timeout=300,
    )
    workdir = base / "elsewhere"
    workdir.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PERUCOMPRAS_")}
    env["PYTHONPATH"] = sysconfig.get_paths()["purelib"]
    env.pop("PYTHONHOME", None)
    yield Installed(wheel, target, workdir, env)


def test_the_wheel_holds_every_runtime_file_of_the_verifier(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    wanted = {
        path.relative_to(REPO).as_posix()
        for package in COMPLETE
        for path in (REPO / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {"integrity/web/verificar.js", "integrity/verify/trust/README.md"} <= wanted
    assert sorted(wanted - names) == []


def test_installed_package_runs_from_the_venv_not_the_repository(installed: Installed) -> None:
    code = (
        "import integrity, messages\n"
        "from integrity.chain import load_artifact\n"
        "from integrity.verify.trust import shipped_pins\n"
        "from integrity.web import PAGE_FILES, web_asset\n"
        "print(integrity.__file__)\n"
        "print(messages.__file__)\n"
        "print(sorted(load_artifact()))\n"
        "print(sum(len(web_asset(name)) for name in PAGE_FILES))\n"
        "print(len(shipped_pins()))\n"
    )
    completed = installed.run("python", "-c", code)
    assert completed.returncode == 0, completed.stderr
    integrity_file, messages_file, artifact_keys, page_bytes, pins = completed.stdout.splitlines()
    assert Path(integrity_file).is_relative_to(installed.venv)
    assert Path(messages_file).is_relative_to(installed.venv)
    assert "abi" in artifact_keys and "bytecode_runtime" in artifact_keys
    page = REPO / "integrity" / "web"
    assert int(page_bytes) == sum(p.stat().st_size for p in page.glob("verificar.*"))
    assert int(pins) == len(list((REPO / "integrity" / "verify" / "trust").glob("*.json")))


def test_verificar_help(installed: Installed) -> None:
    completed = installed.run("verificar", "--help")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: verificar")
    assert "integridad, inclusión, anclaje y publicador" in " ".join(completed.stdout.split())


@pytest.mark.parametrize("name", ["good-day", "good-proof", "modified-field", "forged-manifest"])
def test_verificar_gives_a_vectors_expected_exit_code(
    installed: Installed, name: str, tmp_path: Path
) -> None:
    case = EXPECTED[name]
    assert not case["range"]
    with load_generator().SnapshotRpcServer(SNAPSHOT) as rpc:
        completed = installed.run(
            "verificar",
            str(VECTORS / case["target"]),
            "--datasets",
            str(VECTORS / case["datasets"]),
            "--rpc",
            rpc.url,
            "--devchain",
            str(tmp_path),
            *(["--trust", str(VECTORS / case["pin"])] if case["pin"] else []),
        )
    assert completed.returncode == case["exitCode"], completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr
    if case["exitCode"] == 0:
        assert "Veredicto: VERIFICADO." in completed.stdout


def test_publicar_config_runs_from_the_wheel(installed: Installed) -> None:
    completed = installed.run("publicar", "config", "--json")
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    settings = {row["name"]: row for row in orjson.loads(completed.stdout)["settings"]}
    assert settings["identity.ocid_prefix"]["value"] == "ocds-213czf"
    assert settings["identity.ocid_prefix"]["source"] == "default"
    assert len(settings) > 40


def test_the_production_profile_refuses_the_defaults_from_the_wheel(installed: Installed) -> None:
    env = {**installed.env, "PERUCOMPRAS_PROFILE": "production"}
    completed = subprocess.run(
        [str(installed.venv / "bin" / "publicar"), "run"],
        capture_output=True,
        text=True,
        cwd=installed.workdir,
        env=env,
        timeout=120,
    )
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert "identity.ocid_prefix" in completed.stderr and "Traceback" not in completed.stderr
    assert not any(installed.workdir.iterdir())  # refused before touching any file
