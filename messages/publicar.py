"""Texts of the `publicar` command for operators (lock, progress, errors)."""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "lock.busy": {
        "es": "publicar: otro proceso publicar (PID {pid}) está escribiendo en {root}; se esperó "
        "{seconds} s y sigue ocupado. Espere a que termine o, si ese proceso ya no existe, "
        "vuelva a intentarlo (el bloqueo {lock} se libera solo al terminar el proceso).",
        "en": "publicar: another publicar process (PID {pid}) is writing to {root}; waited "
        "{seconds} s and it is still busy. Wait for it to finish or, if that process is gone, "
        "try again (the lock {lock} is released as soon as the process ends).",
    },
    "lock.waiting": {
        "es": "publicar: otro proceso publicar (PID {pid}) está escribiendo en {root}; esperando "
        "hasta {seconds} s…",
        "en": "publicar: another publicar process (PID {pid}) is writing to {root}; waiting up "
        "to {seconds} s…",
    },
    "progress.title": {"es": "publicando", "en": "publishing"},
    "progress.days": {"es": "días", "en": "days"},
    "progress.rate": {"es": "{rate} órdenes/s", "en": "{rate} orders/s"},
    "backfill.summary": {
        "es": "backfill {start} → {end}: {days} días publicados, {orders} órdenes, {seconds} s "
        "({rate} órdenes/s)",
        "en": "backfill {start} → {end}: {days} days published, {orders} orders, {seconds} s "
        "({rate} orders/s)",
    },
    "backfill.skipped": {
        "es": "{day}  ya publicado y anclado (se omite)",
        "en": "{day}  already published and anchored (skipped)",
    },
    "backfill.anchored": {
        "es": "anclaje     {count} día(s) {first} → {last}: {anchored} anclado(s), {pending} "
        "pendiente(s)",
        "en": "anchoring   {count} day(s) {first} → {last}: {anchored} anchored, {pending} pending",
    },
    "backfill.failed": {
        "es": "publicar: {day} no pasó sus controles bloqueantes; no se publicaron los días "
        "siguientes (los días están encadenados): {reasons}",
        "en": "publicar: {day} failed its blocking checks; later days were not published (days "
        "are chained): {reasons}",
    },
    "backfill.prepare_failed": {
        "es": "publicar: aviso: la preparación de {month} en un proceso auxiliar falló ({error}); "
        "este proceso lee y analiza sus archivos él mismo (nada se pierde)",
        "en": "publicar: warning: preparing {month} in a worker process failed ({error}); this "
        "process reads and parses its files itself (nothing is lost)",
    },
    "error.unexpected": {
        "es": "publicar: error inesperado: {error}. Nada quedó a medias: los días publicados están "
        "completos y el siguiente `publicar` retoma desde donde quedó. Detalle: {log}",
        "en": "publicar: unexpected error: {error}. Nothing is left half-done: published days are "
        "complete and the next `publicar` resumes where this one stopped. Details: {log}",
    },
    "error.disk_full": {
        "es": "publicar: no queda espacio en disco ({error}). Ningún día quedó a medias; libere "
        "espacio y vuelva a ejecutar el mismo comando: retoma desde el primer día sin publicar.",
        "en": "publicar: the disk is full ({error}). No day was left half-written; free some "
        "space and run the same command again: it resumes from the first unpublished day.",
    },
}
