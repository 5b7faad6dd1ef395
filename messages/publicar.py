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
}
