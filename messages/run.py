"""Texts of ``publicar run`` / ``publicar backfill``: the operator's one-line refusals; and of a
Dagster run of a range of `publicar_dia` days (``range.*``)."""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "run.from_after_to": {
        "es": "publicar: --from {start} es posterior a --to {end}; dé un rango en orden.",
        "en": "publicar: --from {start} is after --to {end}; give a range in order.",
    },
    "run.before_first_day": {
        "es": (
            "publicar: --from {start} es anterior al primer día publicable {first} (history_start; "
            "{variable}); empiece en {first} o cambie esa opción."
        ),
        "en": (
            "publicar: --from {start} is before the first publishable day {first} "
            "(history_start; {variable}); start at {first} or change that setting."
        ),
    },
    "run.after_last_day": {
        "es": (
            "publicar: --to {end} es posterior al último día completo ({last}, ayer en Lima); "
            "termine en {last} como máximo."
        ),
        "en": (
            "publicar: --to {end} is after the last complete day ({last}, yesterday in Lima); "
            "end at {last} at the latest."
        ),
    },
    "run.no_source_folder": {
        "es": (
            "publicar: la carpeta de origen {folder} no existe; indique con --source la carpeta "
            "de los archivos ReportePCBienesAAAAMM.csv."
        ),
        "en": (
            "publicar: the source folder {folder} does not exist; point --source at the folder "
            "of the ReportePCBienesYYYYMM.csv files."
        ),
    },
    "run.no_monthly_files": {
        "es": (
            "publicar: {folder} no tiene archivos mensuales ReportePCBienesAAAAMM.csv; descárguelos "
            "del portal de datos abiertos a esa carpeta (o use --source portal)."
        ),
        "en": (
            "publicar: {folder} has no monthly ReportePCBienesYYYYMM.csv files; download them "
            "from the open data portal into that folder (or use --source portal)."
        ),
    },
    "run.no_file_for_day": {
        "es": (
            "publicar: {day}: no hay archivo mensual ReportePCBienes{month}*.csv en {folder} "
            "(hay de {first} a {last}); agregue ese archivo o termine el rango antes con --to."
        ),
        "en": (
            "publicar: {day}: no monthly file ReportePCBienes{month}*.csv in {folder} (there "
            "are {first} to {last}); add that file or end the range earlier with --to."
        ),
    },
    "run.day_failed": {
        "es": (
            "publicar: {day} falló; los días siguientes no se ejecutaron (los días están "
            "encadenados). Vea la ejecución en la interfaz de Dagster (make ui)."
        ),
        "en": (
            "publicar: {day} failed; later days were not run (days are chained). See the run in "
            "the Dagster UI (make ui)."
        ),
    },
    "run.companions_ahead_failed": {
        "es": "{day}: la lectura anticipada del export detallado y las cotizaciones falló "
        "({problem}); el mapeo del día los lee él mismo.",
        "en": "{day}: reading the detailed export and quotations ahead failed ({problem}); the "
        "day's mapping reads them itself.",
    },
    "range.failed": {
        "es": "{day} no pasó sus controles bloqueantes: {reasons}. Los días anteriores del rango "
        "{first} → {last} quedaron publicados y anclados; los siguientes no se publicaron (los "
        "días están encadenados). Corrija la causa y vuelva a ejecutar el rango: retoma en {day}.",
        "en": "{day} failed its blocking checks: {reasons}. The days before it in the range "
        "{first} → {last} are published and anchored; later days were not published (days are "
        "chained). Fix the cause and run the range again: it resumes at {day}.",
    },
    "range.conflict": {
        "es": "ALARMA: {error}. El rango se detuvo; los días anteriores quedaron publicados.",
        "en": "ALARM: {error}. The range stopped; the days before it stay published.",
    },
    "range.whole_days_only": {
        "es": "un rango de días ({first} → {last}) recorre los cinco pasos de cada día, en orden "
        "(publicar backfill); se seleccionó solo {selected}. Seleccione el trabajo publicar_dia "
        "completo, o materialice esos pasos día por día.",
        "en": "a range of days ({first} → {last}) takes each day through all five steps, in "
        "order (publicar backfill); only {selected} was selected. Select the whole publicar_dia "
        "job, or materialise those steps one day at a time.",
    },
    "range.resumed": {
        "es": "ya publicado y anclado (definitivo) con su manifiesto actual: no se volvió a "
        "ejecutar",
        "en": "already published and anchored (final) with its current manifest: not run again",
    },
    "range.check_passed": {
        "es": "pasó en los {days} día(s) evaluados del rango",
        "en": "passed on all {days} day(s) of the range it evaluated",
    },
    "range.check_failed": {
        "es": "falló en {failed} de {days} día(s) del rango:",
        "en": "failed on {failed} of {days} day(s) of the range:",
    },
}
