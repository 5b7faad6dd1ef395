"""Install the browser verifier (``integrity/web``) at the root of the published datasets.

The page is static and same-origin with ``index.json``; ``integrity.web.page_files`` renders
it with the trust pin it must believe embedded (without one it says so and never believes
the site's ``trust.json``) and with its texts from the message catalogue.
"""

from __future__ import annotations

from pathlib import Path

from integrity.verify.trust import Pin
from integrity.web import MESSAGES_FILE, messages_js, page_files
from publication.atomic import write_atomic

__all__ = ["MESSAGES_FILE", "install_web_verifier", "messages_js"]


def install_web_verifier(root: Path, pin: Pin | None = None) -> Path:
    """Write the verifier page (``pin`` embedded) into the datasets root; return its path."""
    root.mkdir(parents=True, exist_ok=True)
    for name, data in page_files(pin).items():
        target = root / name
        if not target.is_file() or target.read_bytes() != data:
            write_atomic(target, data)
    return root / "verificar.html"
