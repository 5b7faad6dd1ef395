"""Issue 12, part 1: each case with its expected verdict and exit code (library and CLI).

3 offline never says "publicador OK" · 6 no false alarms, renamed files found by digest ·
7 fabricated days are FALLA · 8 coverage of the day folder and SHA256SUMS · 9 malformed
inputs never crash · 12 answers a reader understands (what differs), no raw exception text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from test_vectors import SNAPSHOT, VECTORS, load_generator

from integrity import csvrows, layout
from integrity.cli_verificar import run
from integrity.keys import day_number
from integrity.manifest import manifest_bytes
from integrity.verify import (
    DatasetsRoot,
    SkipReason,
    Status,
    VerificationResult,
    VerifyOptions,
    load_trust_file,
    verify_path,
    verify_range,
)

DATASET = layout.DEFAULT_DATASET
D3, D4, D5, D6 = (dt.date(2025, 3, day) for day in (3, 4, 5, 6))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A private copy of the vectors' good datasets root (4 anchored days)."""
    target = tmp_path / "datasets"
    shutil.copytree(VECTORS / "good", target)
    return target


def day(root: Path, date: dt.date = D4) -> layout.DayLayout:
    return layout.DayLayout(root, DATASET, date)


def online(root: Path | None = None, **changes: Any) -> VerifyOptions:
    """Options reading the vectors' chain snapshot with the vectors' pin (--trust), and the
    datasets root if given."""
    options = VerifyOptions(
        datasets=DatasetsRoot.at(root) if root is not None else None,
        chain=load_generator().SnapshotChain(SNAPSHOT),
        trust=load_trust_file(VECTORS / "pins" / "vectores-prueba.json"),
    )
    for name, value in changes.items():
        setattr(options, name, value)
    return options


def keys(result: VerificationResult, check: str, *, failed: bool | None = None) -> list[str]:
    return [
        note.key for note in result.checks[check].notes if failed is None or note.failed == failed
    ]


def failed_notes(result: VerificationResult, check: str) -> list[Any]:
    return [note for note in result.checks[check].notes if note.failed]


def statuses(result: VerificationResult) -> dict[str, str]:
    return {name: check.status.value for name, check in result.checks.items()}


def verificar(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run(list(args), out=out)
    return code, out.getvalue()


def rewrite_manifest(layout_: layout.DayLayout, edit: Any) -> None:
    data = orjson.loads(layout_.manifest.read_bytes())
    edit(data)
    layout_.manifest.write_bytes(manifest_bytes(data))


# --------------------------------------------------------------------------- 1 · exit codes


def test_exit_0_only_when_all_four_checks_ran(root: Path) -> None:
    result = verify_path(day(root).folder, online())
    assert result.exit_code == 0 and statuses(result) == dict.fromkeys(statuses(result), "ok")
    offline = verify_path(day(root).folder, VerifyOptions(offline=True))
    assert offline.exit_code == 3
    assert offline.verdict.key == "verdict.verified_offline"
    code, text = verificar(str(day(root).folder), "--offline")
    assert code == 3 and "ÍNTEGRO; ANCLAJE NO COMPROBADO" in text


def test_help_documents_the_exit_codes() -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit) as done, _redirect(out):
        run(["--help"])
    assert done.value.code == 0
    help_text = " ".join(out.getvalue().split())
    for code in (
        "0 verificado",
        "1 alterado o no publicado",
        "2 no se pudo comprobar",
        "3 íntegro",
    ):
        assert code in help_text, code


class _redirect:
    def __init__(self, out: io.StringIO) -> None:
        import contextlib

        self._context = contextlib.redirect_stdout(out)

    def __enter__(self) -> None:
        self._context.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._context.__exit__(*exc)


# --------------------------------------------------------------------------- 3 · offline


def forge_day(root: Path, date: dt.date = D4) -> None:
    """A fully forged day: one release edited, manifest, root, sums, receipt and trust.json
    all rewritten to agree with each other (a mirror's own registry and publisher)."""
    generator = load_generator()
    folder = day(root, date).folder
    forged = folder.with_name("forged")
    generator._forge_day(
        folder,
        forged,
        date,
        lambda ls: [ls[0].replace(b'"status":"active"', b'"status":"cancelled"', 1), *ls[1:]],
    )
    shutil.rmtree(folder)
    forged.rename(folder)
    other = {"contract": generator.OTHER_CONTRACT, "publisher": "0x" + "11" * 20}
    record = orjson.loads(day(root, date).anchor.read_bytes())
    record |= other | {"digest": hashlib.sha256(day(root, date).manifest.read_bytes()).hexdigest()}
    day(root, date).anchor.write_bytes(orjson.dumps(record))
    trust = orjson.loads((root / layout.TRUST_FILE).read_bytes()) | other
    (root / layout.TRUST_FILE).write_bytes(orjson.dumps(trust))


def test_offline_on_a_fully_forged_day_never_says_publisher_ok(root: Path) -> None:
    forge_day(root)
    result = verify_path(day(root).folder, VerifyOptions(offline=True))
    assert result.exit_code == 3
    assert statuses(result) == {
        "integrity": "ok",
        "inclusion": "ok",
        "anchor": "skipped",
        "publisher": "skipped",
    }
    assert result.checks["publisher"].skip_reason is SkipReason.OFFLINE
    assert "publisher.ok" not in [n.key for c in result.all_checks() for n in c.notes]
    code, text = verificar(str(day(root).folder), "--offline")
    assert code == 3
    assert any(line.split()[:2] == ["publicador", "OMITIDA"] for line in text.splitlines())
    assert "publicador  OK" not in text  # the old "publicador OK … coinciden con trust.json"
    # The mirror's trust.json is never taken as the pin: without one, no pin was used.
    assert "Sin pin de confianza" in text and "--trust" in text
    assert result.pins_used() == []


def test_every_verdict_names_the_pin_and_its_origin(root: Path, tmp_path: Path) -> None:
    code, text = verificar(str(day(root).folder), "--offline")
    assert code == 3 and "Sin pin de confianza" in text and "Pin tomado de" not in text
    pin = tmp_path / "pin.json"
    shutil.copyfile(root / layout.TRUST_FILE, pin)
    code, text = verificar(str(day(root).folder), "--offline", "--trust", str(pin))
    assert code == 3 and "(indicado con --trust)" in text
    code, raw = verificar(str(day(root).folder), "--offline", "--json", "--trust", str(pin))
    report = orjson.loads(raw)
    assert code == report["exitCode"] == 3
    assert report["pin"][0]["source"] == "argument" and report["pin"][0]["authoritative"]


# --------------------------------------------------------------------------- 8 · coverage


def test_a_file_the_manifest_does_not_list_fails_the_day(root: Path) -> None:
    extra = day(root).folder / f"{DATASET}-{D4.isoformat()}-orders-corregido.csv"
    extra.write_bytes(day(root).path(layout.ORDERS_CSV).read_bytes())
    (day(root).folder / ".DS_Store").write_bytes(b"\0")  # hidden names are ignored
    result = verify_path(day(root).folder, online())
    assert result.exit_code == 1
    assert keys(result, "integrity", failed=True) == ["integrity.unlisted_file"]
    assert failed_notes(result, "integrity")[0].params["file"] == extra.name
    assert statuses(result)["anchor"] == "ok"  # the listed files themselves are authentic
    code, text = verificar(str(day(root).folder), "--offline")
    assert code == 1 and "no forma parte de lo publicado" in text


def test_sha256sums_must_list_exactly_the_manifests_files(root: Path) -> None:
    sums = day(root).path(layout.CHECKSUMS)
    lines = sums.read_text().splitlines(keepends=True)
    removed = lines.pop(2)
    sums.write_text("".join(lines))
    result = verify_path(day(root).folder, online())
    assert result.exit_code == 1
    assert keys(result, "integrity", failed=True) == ["integrity.sums_missing"]
    assert failed_notes(result, "integrity")[0].params["file"] == removed.split()[1]
    sums.write_text("".join([*lines, lines[0]]))
    duplicated = verify_path(sums, online())
    assert set(keys(duplicated, "integrity", failed=True)) == {
        "integrity.sums_duplicate",
        "integrity.sums_missing",
    }


# --------------------------------------------------------------------------- 6 · no false alarms


def test_every_listed_kind_verifies_alone_including_unknown_kinds(root: Path) -> None:
    """A file kind the verifier has no special name for (quality.html) verifies by name."""
    target = day(root)
    page = target.folder / target.name(layout.QUALITY_HTML)
    page.write_bytes(b"<!doctype html><p>calidad</p>\n")
    from integrity.manifest import file_entry

    def add(data: dict[str, Any]) -> None:
        data["files"].append(
            file_entry(page, media_type="text/html", role="quality-html").to_json()
        )
        data["files"].sort(key=lambda e: e["name"])

    rewrite_manifest(target, add)
    target.anchor.unlink()  # the edited manifest is not the anchored one; only integrity matters
    result = verify_path(page, VerifyOptions(offline=True))
    assert result.exit_code == 3, [n.key for c in result.all_checks() for n in c.notes]
    assert keys(result, "integrity") == ["integrity.files_ok"]


def test_a_renamed_file_is_found_by_its_digest(root: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "descarga (1).parquet"
    shutil.copyfile(day(root, D5).path(layout.ORDERS_PARQUET), renamed)
    result = verify_path(renamed, online(root))
    assert result.exit_code == 0 and result.day == D5
    assert keys(result, "integrity")[0] == "integrity.identified"
    code, text = verificar(str(renamed), "--datasets", str(root), "--offline")
    assert code == 3 and "se identificó por su SHA-256 como" in text
    code, text = verificar(str(renamed), "--offline")
    assert code == 2 and "--datasets" in text  # no root: it cannot be looked up


# --------------------------------------------------------------------------- 9 · malformed


@pytest.mark.parametrize("content", [b"{not json", b"[]", b"\xff\xfe", b""])
def test_an_unreadable_receipt_is_ignored_and_the_chain_decides(root: Path, content: bytes) -> None:
    day(root).anchor.write_bytes(content)
    result = verify_path(day(root).folder, online())
    assert result.exit_code == 0
    assert "anchor.receipt_unreadable" in keys(result, "anchor")
    targeted = verify_path(day(root).anchor, online())
    assert targeted.exit_code == 1  # named on its own, it is not a receipt the publisher wrote
    assert keys(targeted, "integrity", failed=True) == ["anchor.receipt_unreadable"]


def test_a_receipt_with_values_of_the_wrong_kind_fails_without_a_traceback(root: Path) -> None:
    record = orjson.loads(day(root).anchor.read_bytes())
    record |= {"day": "ayer", "chainId": "abc", "contract": 5, "digest": ["x"], "key": None}
    day(root).anchor.write_bytes(orjson.dumps(record))
    result = verify_path(day(root).folder, online())
    assert result.exit_code == 1
    assert "anchor.record_mismatch" in keys(result, "anchor", failed=True)
    assert keys(result, "publisher", failed=True) == ["publisher.mismatch"] * 2
    code, _ = verificar(str(day(root).folder), "--offline")
    assert code == 1


def test_a_malformed_index_is_a_sentence_and_exit_2(root: Path) -> None:
    (root / layout.INDEX_FILE).write_bytes(b'{"days": [')
    result = verify_range(DatasetsRoot.at(root), D3, D6, online())
    assert result.exit_code == 2
    assert keys(result, "integrity") == ["index.not_json"]
    code, text = verificar("sha256:" + "ab" * 32, "--datasets", str(root))
    assert code == 2 and "no es JSON válido" in text


def test_one_bad_index_entry_does_not_abort_the_range(root: Path) -> None:
    index = orjson.loads((root / layout.INDEX_FILE).read_bytes())
    index["days"][1]["folder"] = "../../../etc"
    index["days"][2]["manifestSha256"] = "zz"
    (root / layout.INDEX_FILE).write_bytes(orjson.dumps(index))
    result = verify_range(DatasetsRoot.at(root), D3, D6, online())
    assert [item.day for item in result.items] == [D3, D6]
    assert all(item.exit_code == 0 for item in result.items)
    assert keys(result, "integrity", failed=True) == ["index.entry_unsafe"]
    assert "index.entry_malformed" in keys(result, "integrity")
    assert result.exit_code == 1
    index["days"][1]["folder"] = f"{DATASET}/2025/03/04"
    (root / layout.INDEX_FILE).write_bytes(orjson.dumps(index))
    only_malformed = verify_range(DatasetsRoot.at(root), D3, D6, online())
    assert only_malformed.exit_code == 2  # cannot check one day: not verified, not tampered


def test_a_malformed_proof_line_fails_alone(root: Path, tmp_path: Path) -> None:
    proofs = tmp_path / "pruebas.jsonl"
    good = (VECTORS / "proofs" / "good-proof.json").read_bytes()
    good_line = orjson.dumps(orjson.loads(good))
    proofs.write_bytes(
        good_line
        + b"\n{not json\n"
        + good_line.replace(b'"leafIndex":0', b'"leafIndex":"x"')
        + b"\n"
        + good_line
        + b"\n"
    )
    result = verify_path(proofs, online(root))
    assert [item.exit_code for item in result.items] == [0, 1, 1, 0]
    assert result.exit_code == 1
    assert keys(result.items[1], "integrity", failed=True) == ["integrity.proof_malformed"]
    assert result.items[2].checks["integrity"].notes[0].params["detail"] == "leafIndex"


def test_a_manifest_with_a_field_of_the_wrong_kind_cannot_be_checked(root: Path) -> None:
    rewrite_manifest(day(root), lambda data: data["files"][0].update(bytes="many"))
    result = verify_path(day(root).folder, online())
    assert result.exit_code == 2
    assert keys(result, "integrity") == ["manifest.invalid"]
    assert result.checks["integrity"].notes[0].params["field"] == "files[0].bytes"


# --------------------------------------------------------------------------- 7 · fabricated days


def fabricate(root: Path, date: str, source: dt.date = D4) -> Path:
    """A day folder for ``date`` (any string) made from a published day's files."""
    year, month, dd = date.split("-")
    folder = root / DATASET / year / month / dd
    folder.mkdir(parents=True)
    old = source.isoformat()
    for path in day(root, source).folder.iterdir():
        if path.name.endswith((layout.ANCHOR, layout.CHECKSUMS)):
            continue  # never anchored; SHA256SUMS is optional
        data = path.read_bytes()
        if path.name.endswith(layout.MANIFEST):
            manifest = orjson.loads(data)
            manifest["date"] = date
            manifest["anchorKey"] = hashlib.sha256(f"{DATASET}/{date}".encode()).hexdigest()
            for entry in manifest["files"]:
                entry["name"] = entry["name"].replace(old, date)
            manifest["merkle"]["leaves"] = manifest["merkle"]["leaves"].replace(old, date)
            data = manifest_bytes(manifest)
        (folder / path.name.replace(old, date)).write_bytes(data)
    return folder


def test_a_day_that_is_not_a_calendar_date_is_not_published(root: Path) -> None:
    folder = fabricate(root, "2026-02-30")
    result = verify_path(folder, online())
    assert result.exit_code == 1
    assert keys(result, "integrity", failed=True) == ["day.not_a_date"]
    csv = folder / f"{DATASET}-2026-02-30-{layout.ORDERS_CSV}"
    assert verify_path(csv, online()).exit_code == 1
    proof = orjson.loads((VECTORS / "proofs" / "good-proof.json").read_bytes())
    proof["date"] = "2026-02-30"
    target = root.parent / "proof.json"
    target.write_bytes(orjson.dumps(proof))
    assert keys(verify_path(target, online()), "integrity", failed=True) == ["day.not_a_date"]


@pytest.mark.parametrize(
    ("date", "key", "changes"),
    [
        ("2199-12-30", "day.not_over", {}),
        ("1999-12-31", "day.outside_registry", {}),
        ("2024-06-30", "day.before_history", {"history_start": dt.date(2025, 1, 1)}),
        ("2025-03-20", "day.not_over", {"now": dt.datetime(2025, 3, 20, 12, tzinfo=dt.UTC)}),
    ],
)
def test_a_day_no_registry_can_hold_is_falla_not_verify_again_later(
    root: Path, date: str, key: str, changes: dict[str, Any]
) -> None:
    folder = fabricate(root, date)
    result = verify_path(folder, online(**changes))
    assert result.exit_code == 1
    assert keys(result, "anchor", failed=True) == [key]
    assert "anchor.not_anchored" not in keys(result, "anchor")
    offline = verify_path(folder, VerifyOptions(offline=True, **changes))
    assert offline.exit_code == 1 and keys(offline, "anchor", failed=True) == [key]


def test_a_day_not_anchored_yet_is_still_verify_again_later(root: Path) -> None:
    folder = fabricate(root, "2025-03-10")
    result = verify_path(folder, online(now=dt.datetime(2025, 3, 12, tzinfo=dt.UTC)))
    assert result.exit_code == 2
    assert keys(result, "anchor")[-1] == "anchor.not_anchored"


# --------------------------------------------------------------------------- 12 · plain answers


def resave(data: bytes) -> bytes:
    """What a spreadsheet does to a CSV: BOM, CRLF, ';' separator, no quotes, Windows-1252."""
    rows = csvrows.parse(data).records
    text = "".join(";".join(row) + "\r\n" for row in rows)
    return csvrows.BOM + text.encode("utf-8")


def test_a_resaved_csv_says_the_data_matches_but_still_fails(root: Path) -> None:
    csv = day(root).path(layout.ORDERS_CSV)
    csv.write_bytes(resave(csv.read_bytes()))
    result = verify_path(day(root).folder, VerifyOptions(offline=True))
    assert result.exit_code == 1  # any changed byte is a change
    assert "explain.resaved_same_rows" in keys(result, "integrity", failed=False)
    code, text = verificar(str(day(root).folder), "--offline")
    assert code == 1 and "fue re-guardado" in text and "coinciden con lo publicado" in text


def test_a_changed_amount_names_the_row_and_column(root: Path, tmp_path: Path) -> None:
    published = day(root).path(layout.ORDERS_CSV)
    data = published.read_bytes()
    first_total = csvrows.parse(data).rows[1][3]
    changed = data.replace(first_total.encode(), str(int(first_total) + 100).encode(), 1)
    moved = tmp_path / published.name
    moved.write_bytes(changed)
    result = verify_path(moved, online(root))
    assert result.exit_code == 1
    cells = [n.params for n in result.checks["integrity"].notes if n.key == "explain.cell_changed"]
    assert cells == [
        {
            "row": 2,
            "column": "total_cents",
            "published": first_total,
            "found": str(int(first_total) + 100),
        }
    ]
    published.write_bytes(changed)  # in place, offline, no original at hand
    in_place = verify_path(day(root).folder, VerifyOptions(offline=True))
    assert "explain.rows_differ" in keys(in_place, "integrity")


def test_a_changed_release_names_the_line_and_field(root: Path) -> None:
    jsonl = day(root).path(layout.RELEASES_JSONL)
    lines = jsonl.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b'"currency":"PEN"', b'"currency":"USD"', 1)
    jsonl.write_bytes(b"\n".join(lines))
    result = verify_path(day(root).folder, VerifyOptions(offline=True))
    changed = [
        n.params for n in result.checks["integrity"].notes if n.key == "explain.line_changed"
    ]
    assert changed and changed[0]["line"] == 3 and changed[0]["field"].endswith(".currency")
    assert (changed[0]["published"], changed[0]["found"]) == ("PEN", "USD")


def test_reformatted_json_and_binary_files(root: Path) -> None:
    quality = day(root).path(layout.QUALITY_JSON)
    quality.write_bytes(
        orjson.dumps(orjson.loads(quality.read_bytes()), option=orjson.OPT_INDENT_2)
    )
    parquet = day(root).path(layout.ORDERS_PARQUET)
    parquet.write_bytes(parquet.read_bytes()[:-1] + b"\0")
    result = verify_path(day(root).folder, VerifyOptions(offline=True))
    explained = keys(result, "integrity", failed=False)
    assert "explain.reformatted_same_json" in explained and "explain.binary" in explained


def test_messages_never_show_raw_exception_text(root: Path, tmp_path: Path) -> None:
    pin = tmp_path / "pin.json"
    shutil.copyfile(root / layout.TRUST_FILE, pin)
    code, text = verificar(
        str(day(root).folder), "--rpc", "http://127.0.0.1:9", "--trust", str(pin)
    )
    assert code == 2
    for raw in ("HTTPConnectionPool", "urlopen", "Errno", "Traceback", "Connection refused"):
        assert raw not in text, raw
    assert "no se pudo consultar la cadena" in text
    code, verbose = verificar(
        str(day(root).folder), "--rpc", "http://127.0.0.1:9", "--trust", str(pin), "--verbose"
    )
    assert "detalle:" in verbose
    code, text = verificar("sha256:" + "ab" * 32, "--datasets", "http://127.0.0.1:9/")
    assert code == 2 and "no se pudo conectar con 127.0.0.1:9" in text
    assert "urlopen" not in text and "Errno" not in text


def test_statuses_are_known_values_everywhere(root: Path) -> None:
    result = verify_range(DatasetsRoot.at(root), D3, D6, online())
    assert result.exit_code == 0 and len(result.items) == 4
    assert {c.status for c in result.all_checks()} <= set(Status)


# --------------------------------------------------------------------------- pin nodes (CLI)


def test_the_cli_reads_the_pins_nodes_and_two_must_agree(root: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    from integrity.verify.trust import load_pin, write_pin

    generator = load_generator()
    lies = orjson.loads(orjson.dumps(SNAPSHOT))
    lied = [entry for entry in lies["entries"] if entry["day"] == day_number(D4)]
    assert len(lied) == 1
    lied[0]["digest"] = "ee" * 32
    pin = load_pin(VECTORS / "pins" / "vectores-prueba.json")

    def pin_file(name: str, *urls: str) -> str:
        path = tmp_path / f"{name}.json"
        write_pin(replace(pin, network=replace(pin.network, rpc=urls)), path)
        return str(path)

    with (
        generator.SnapshotRpcServer(SNAPSHOT) as honest,
        generator.SnapshotRpcServer(SNAPSHOT) as other,
        generator.SnapshotRpcServer(lies) as liar,
    ):
        folder = str(day(root).folder)
        code, text = verificar(folder, "--trust", pin_file("one", honest.url))
        assert code == 0, text
        code, text = verificar(folder, "--trust", pin_file("two", honest.url, other.url))
        assert code == 0, text
        code, text = verificar(folder, "--trust", pin_file("liar", honest.url, liar.url))
        assert code == 2 and "respuestas distintas" in text
        assert "VERIFICADO." not in text


def test_a_pretty_printed_proof_with_a_long_first_field_is_still_a_proof(
    root: Path, tmp_path: Path
) -> None:
    """`publicar proof` writes the release line before the audit path; a release with many
    bids pushes "auditPath" past the first 64 KiB, and the file is still read as a proof."""
    proof = orjson.loads((VECTORS / "proofs" / "good-proof.json").read_bytes())
    ordered = {"version": 1, "nota": "x" * 100_000, **proof}
    target = tmp_path / "prueba.json"
    target.write_bytes(orjson.dumps(ordered, option=orjson.OPT_INDENT_2))
    result = verify_path(target, online(root))
    assert result.exit_code == 0, [n.key for c in result.all_checks() for n in c.notes]
    assert keys(result, "inclusion") == ["inclusion.proof_ok"]


# --------------------------------------------------------------------------- 2 · complete ranges


def test_a_range_asks_the_registry_about_every_date_and_names_late_and_corrected_days(
    root: Path,
) -> None:
    """The registry, not index.json, says which days exist: a day it holds but the download
    lacks is FALLA naming the day; late publications and corrections are listed."""
    snapshot = orjson.loads(orjson.dumps(SNAPSHOT))
    entries = snapshot["entries"]
    assert [entry["day"] for entry in entries] == [day_number(d) for d in (D3, D4, D5, D6)]
    entries[1]["kind"] = 2  # D4 anchored late
    entries[2]["kind"] = 3  # D5's latest entry is a correction
    later = dt.date(2025, 3, 8)
    entries.append(entries[3] | {"seq": 5, "day": day_number(later), "blockNumber": 9})
    options = online(root, chain=load_generator().SnapshotChain(snapshot))
    result = verify_range(DatasetsRoot.at(root), D3, later, options)
    assert result.exit_code == 1
    missing = [n for n in result.checks["anchor"].notes if n.key == "range.anchored_missing"]
    assert [n.params["date"] for n in missing] == [later.isoformat()]
    assert "2025-03-08" in missing[0].text("es") and "falta" in missing[0].text("es")
    notes = {n.key: n for n in result.checks["anchor"].notes}
    assert notes["range.late"].params["dates"] == D4.isoformat()
    assert notes["range.corrected"].params["dates"] == D5.isoformat()
    assert "range.registry_ok" not in notes
    # Without a pin the registry is not asked, and the range cannot be VERIFICADO.
    unpinned = verify_range(DatasetsRoot.at(root), D3, D6, online(root, trust=None))
    assert unpinned.exit_code == 2
    assert "range.registry_no_pin" in [n.key for n in unpinned.checks["anchor"].notes]
    # With the pin and the vectors' own snapshot, the 4 days are complete.
    complete = verify_range(DatasetsRoot.at(root), D3, D6, online(root))
    assert complete.exit_code == 0
    assert "range.registry_ok" in [n.key for n in complete.checks["anchor"].notes]
