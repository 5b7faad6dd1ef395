"""The analyst notebooks run headless against a day this test publishes and anchors itself."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from integrity.layout import DEFAULT_DATASET, DayLayout
from integrity.manifest import load_manifest
from settings import EXAMPLE_OCID_PREFIX, Identity

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO_ROOT / "notebooks"
MONTH = (2026, 1)
DAYS = [dt.date(2026, 1, 1), dt.date(2026, 1, 2)]
# Parse-level defects: the reader quarantines them into the first day of the file's month.
DEFECTS = ["field_count", "date_unparseable", "amount_unparseable", "order_number_format"]


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two days published through the pure day steps and anchored on a temporary dev chain."""
    from integrity.devchain import DevChain, find_anvil_bin
    from integrity.verify.trust import load_pin
    from perucompras.reader import read_source_dir
    from perucompras.synthetic import generate_month, plant_defects
    from publication import steps
    from publication.anchoring import ChainSession, anchor_days
    from publication.state import StateStore, store_path

    try:
        find_anvil_bin()
    except Exception as error:  # the notebooks verify an anchored day: anvil is required
        pytest.skip(f"anvil binary not available ({error}); run `make run` to install it")
    tmp = tmp_path_factory.mktemp("notebooks")
    source, root = tmp / "source", tmp / "datasets"
    plant_defects(generate_month(*MONTH, source, orders=900), DEFECTS, seed=3)
    files = read_source_dir(source)
    for day in DAYS:
        extracted = steps.extract(files, day, root=root)
        checked = steps.check_quality(extracted, day)
        mapped = steps.map_releases(checked, ocid_prefix=EXAMPLE_OCID_PREFIX, root=root)
        identity = Identity(base_url="https://example.org")
        published = steps.publish(
            mapped, root=root, dataset=DEFAULT_DATASET, day=day, identity=identity
        )
        published.require_gate()
    with DevChain(tmp / "devchain") as chain:
        session = ChainSession(chain.client(), load_pin(chain.pin_file), dev_chain=True)
        with StateStore(store_path(root)) as store:
            anchor_days(root, DEFAULT_DATASET, DAYS, session, store)
    return root


def _run(name: str, datasets: Path, day: dt.date, monkeypatch: pytest.MonkeyPatch) -> str:
    """Execute a notebook in a fresh kernel; return every stream and text output, joined."""
    monkeypatch.setenv("PERUCOMPRAS_DATASETS", str(datasets))
    monkeypatch.setenv("PERUCOMPRAS_DIA", day.isoformat())
    kernel_tmp = datasets.parent / f"tmp-{Path(name).stem}"
    kernel_tmp.mkdir(exist_ok=True)
    monkeypatch.setenv("TMPDIR", str(kernel_tmp))  # the notebooks' own temp folders end up here
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(
        not cell.get("outputs") and cell.get("execution_count") is None
        for cell in notebook.cells
        if cell.cell_type == "code"
    ), f"{name}: committed with outputs; clear them (Kernel > Restart & Clear Output)"
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    texts: list[str] = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"{name}: {output.get('ename')}"
            if output["output_type"] == "stream":
                texts.append(output["text"])
            elif "data" in output:
                texts.append(output["data"].get("text/plain", ""))
    return "\n".join(texts)


def test_notebooks_are_valid_spanish_and_stripped() -> None:
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == [
        "01_explorar_dia.ipynb",
        "02_verificar_descarga.ipynb",
        "03_archivos_masivos.ipynb",
    ]
    for name in names:
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(notebook)
        first = notebook.cells[0]
        assert first.cell_type == "markdown" and first.source.startswith("# ")
        assert "PERUCOMPRAS_DATASETS" in "".join(c.source for c in notebook.cells)


def test_explore_day_notebook(datasets: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    day = DAYS[0]
    output = _run("01_explorar_dia.ipynb", datasets, day, monkeypatch)
    counts = load_manifest(DayLayout(datasets, DEFAULT_DATASET, day).manifest).data["counts"]
    assert counts["quarantinedRows"] >= len(DEFECTS)
    assert f"Día: {day.isoformat()}" in output
    assert f"Órdenes publicadas: {counts['publishedRows']}" in output
    assert f"Entregas OCDS: {counts['releases']} (manifiesto: {counts['releases']})" in output
    assert f"Filas en cuarentena: {counts['quarantinedRows']}" in output
    quality = json.loads(
        DayLayout(datasets, DEFAULT_DATASET, day).path("quality.json").read_bytes()
    )
    for rule, rows in quality["quarantined_by_rule"].items():
        assert f"  {rule}: {rows}" in output
    assert "Compra ordinaria:" in output
    assert (
        f"Conciliación OK: {counts['sourceRows']} filas de origen = "
        f"{counts['publishedRows']} publicadas + {counts['quarantinedRows']} en cuarentena"
    ) in output


def test_verify_download_notebook(datasets: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    day = DAYS[1]
    output = _run("02_verificar_descarga.ipynb", datasets, day, monkeypatch)
    reports = output.split("Verificando ")[1:]
    assert len(reports) == 4, output
    parquet, jsonl, tampered, proof = reports
    for report in (parquet, jsonl, tampered, proof):
        result_lines = [line for line in report.splitlines()[1:] if line[:1].isalpha()]
        lines = [line.split()[0] for line in result_lines[:4]]
        assert lines == ["integridad", "inclusión", "anclaje", "publicador"], report
        assert "anclaje     OMITIDA" in report
        assert "publicador  OMITIDA" in report  # offline never says "publicador OK"
    assert "integridad  OK" in parquet and "Código de salida: 3" in parquet
    assert "inclusión   OK" in jsonl and "Código de salida: 3" in jsonl
    assert "integridad  FALLA" in tampered and "Código de salida: 1" in tampered
    assert "inclusión   OK" in proof and "Código de salida: 3" in proof
    manifest = load_manifest(DayLayout(datasets, DEFAULT_DATASET, day).manifest)
    assert f"raíz {manifest.merkle['root']}" in proof
    assert "Inclusión recalculada a mano: OK" in output
    assert f"SHA-256 del manifiesto (valor anclado): {manifest.sha256}" in output


def test_bulk_files_notebook(bulk_world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    root = bulk_world.root
    output = _run("03_archivos_masivos.ipynb", root, bulk_world.days[-1], monkeypatch)
    full = root / f"{DEFAULT_DATASET}-bulk" / f"{DEFAULT_DATASET}-orders.parquet"
    orders, total = (
        duckdb.connect()
        .execute(f"SELECT count(*), sum(total) FROM read_parquet('{full}')")
        .fetchone()
    )  # type: ignore[misc]
    assert "Días cubiertos: 5 (hasta el 2026-11-03)" in output
    assert f"Órdenes (estado más reciente): {orders}" in output
    assert f"Monto total sin doble conteo: S/ {total:,.2f}" in output
    assert "órdenes con más de un estado: 3" in output
    assert f"la suma de los archivos de mes coincide: S/ {total:,.2f}" in output
    measured = [line for line in output.splitlines() if line.startswith("Grupos medidos: ")]
    assert measured and not measured[0].startswith("Grupos medidos: 0;")
    assert "HHI por acuerdo marco" in output and " HHI " in output
