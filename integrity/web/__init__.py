"""The browser verifier page (``verificar.html``, ``.js``, ``.css``), its texts and its trust pin.

The files ship inside the package and are read with ``importlib.resources``, so an installed
wheel serves the same page as a checkout. ``page_files(pin)`` renders everything a site
serves: the page with the trust pin embedded in it (chain, registry, publisher and RPC
endpoints the page believes; never read from the site's data), the script, the style sheet
and the verifier's texts from the message catalogue.

    from integrity.web import page_files
    from integrity.verify.trust import load_pin
    for name, data in page_files(load_pin(".devchain/trust-pin.json")).items():
        (datasets_root / name).write_bytes(data)
"""

from __future__ import annotations

import html
import json
from importlib import resources

from integrity.verify import CHECKS, Status
from integrity.verify.trust import Pin
from messages import domain

PAGE_FILES = ("verificar.html", "verificar.js", "verificar.css")
MESSAGES_FILE = "verificar-mensajes.js"
PIN_ELEMENT_ID = "pin-confianza"
_PIN_SLOT = "<!-- pin -->"

PageCatalogue = dict[str, dict[str, dict[str, str]]]


def web_asset(name: str) -> bytes:
    """The bytes of one static file of the page (one of ``PAGE_FILES``), as shipped."""
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


def messages_js() -> bytes:
    """The message catalogue as a script that sets ``window.VERIFICAR_MESSAGES``."""
    body = json.dumps(page_catalogue(), sort_keys=True, indent=2, ensure_ascii=False)
    return (
        "// Generated from messages/verify.py by integrity.web: do not edit.\n"
        f"window.VERIFICAR_MESSAGES = {body};\n"
    ).encode()


def pin_json(pin: Pin) -> str:
    """The pin as embedded in the page: validated JSON, safe inside a ``<script>`` element."""
    text = json.dumps(pin.validate().to_json(), sort_keys=True, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(pin: Pin | None = None, *, compare_url: str | None = None) -> bytes:
    """``verificar.html`` with ``pin`` embedded (a JSON data block the strict CSP allows).

    Without a pin the page falls back to the site's ``trust.json`` and says that it is a
    copy that came with the data, not an authority. ``compare_url``: where readers can
    compare the embedded pin with the official one (shown as a link)."""
    page = web_asset("verificar.html").decode("utf-8")
    if _PIN_SLOT not in page:
        raise ValueError("verificar.html has no pin slot")
    block = ""
    if pin is not None:
        attributes = f'type="application/json" id="{PIN_ELEMENT_ID}"'
        if compare_url:
            attributes += f' data-compare="{html.escape(compare_url, quote=True)}"'
        block = f"<script {attributes}>{pin_json(pin)}</script>"
    return page.replace(_PIN_SLOT, block).encode("utf-8")


def page_files(pin: Pin | None = None, *, compare_url: str | None = None) -> dict[str, bytes]:
    """Every file a site serves for the verifier page, by name (pin embedded in the HTML)."""
    files = {name: web_asset(name) for name in PAGE_FILES}
    files["verificar.html"] = render_page(pin, compare_url=compare_url)
    files[MESSAGES_FILE] = messages_js()
    return files
