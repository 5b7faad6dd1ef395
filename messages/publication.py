"""Texts of what the publication layer writes besides the data: labels of synthetic data in the
packages and on the portal's landing page."""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "publication.synthetic_banner": {
        "es": (
            "Datos sintéticos: {count} de los días publicados aquí se generaron a partir de "
            "archivos sintéticos con el formato real (para probar la publicación). No son "
            "órdenes de compra reales. Cada paquete lo dice en publisher.name y "
            'publicationPolicy, y cada manifiesto con "synthetic": true.'
        ),
        "en": (
            "Synthetic data: {count} of the days published here were generated from synthetic "
            "files in the real format (to exercise the publication). They are not real purchase "
            "orders. Every package says so in publisher.name and publicationPolicy, and every "
            'manifest with "synthetic": true.'
        ),
    },
    "publication.synthetic_day": {"es": "sintético", "en": "synthetic"},
}
