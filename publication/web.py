"""Install the browser verifier (``integrity/web``) at the root of the published datasets.

The page is static and same-origin with ``index.json`` and ``trust.json``; its messages are
generated from the message catalogue (``messages.verify``) so that the page and the
``verificar`` CLI say the same thing in the same words.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from integrity.web import PAGE_FILES, page_catalogue, web_asset
from publication.atomic import write_atomic

MESSAGES_FILE = "verificar-mensajes.js"


def messages_js() -> bytes:
    """The CLI's message catalogue as a script that sets ``window.VERIFICAR_MESSAGES``."""
    body = orjson.dumps(page_catalogue(), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
    return b"// Generated from messages/verify.py by publication/web.py: do not edit.\n" + (
        b"window.VERIFICAR_MESSAGES = " + body + b";\n"
    )


def install_web_verifier(root: Path) -> Path:
    """Copy the verifier page into the datasets root; return the path of ``verificar.html``."""
    root.mkdir(parents=True, exist_ok=True)
    for name in PAGE_FILES:
        data = web_asset(name)
        target = root / name
        if not target.is_file() or target.read_bytes() != data:
            write_atomic(target, data)
    generated = messages_js()
    target = root / MESSAGES_FILE
    if not target.is_file() or target.read_bytes() != generated:
        write_atomic(target, generated)
    return root / "verificar.html"
