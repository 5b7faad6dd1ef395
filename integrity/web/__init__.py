"""The browser verifier page (``verificar.html``, ``.js``, ``.css``) and the texts it embeds.

The files ship inside the package and are read with ``importlib.resources``, so an installed
wheel serves the same page as a checkout.
"""

from __future__ import annotations

from importlib import resources

from integrity.verify import CHECKS, Status
from messages import domain

PAGE_FILES = ("verificar.html", "verificar.js", "verificar.css")

PageCatalogue = dict[str, dict[str, dict[str, str]]]


def web_asset(name: str) -> bytes:
    """The bytes of one static file of the page (one of ``PAGE_FILES``)."""
    if name not in PAGE_FILES:
        raise ValueError(f"{name!r} is not a file of the verifier page: {', '.join(PAGE_FILES)}")
    return resources.files(__name__).joinpath(name).read_bytes()


def page_catalogue() -> PageCatalogue:
    """The verifier's texts for the page: check names, status words and every message."""
    table = domain("verify")
    return {
        "checks": {name: dict(table[f"check.{name}"]) for name in CHECKS},
        "statuses": {status.value: dict(table[f"status.{status.value}"]) for status in Status},
        "messages": {
            key: dict(texts)
            for key, texts in table.items()
            if not key.startswith(("check.", "status."))
        },
    }
