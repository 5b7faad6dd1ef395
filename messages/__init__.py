"""The one message catalogue: every user-facing text, in Spanish (default) and English.

Texts live in per-domain modules (``messages/verify.py``, ...), each a ``MESSAGES`` mapping
``{key: {"es": ..., "en": ...}}`` with ``str.format`` placeholders (``{{``/``}}`` for literal
braces). Adding a domain: write ``messages/<domain>.py`` and add its name to ``DOMAINS``; a
test checks that every key has both languages with the same placeholders and that keys are
unique across domains. Standard library only; imports nothing of the project.
"""

from __future__ import annotations

import importlib
import string
from collections.abc import Mapping
from functools import cache
from typing import Any

__all__ = [
    "DEFAULT_LANG",
    "DOMAINS",
    "LANGUAGES",
    "Catalogue",
    "MessageError",
    "catalogue",
    "domain",
    "has",
    "placeholders",
    "text",
]

DEFAULT_LANG = "es"
LANGUAGES = ("es", "en")
DOMAINS = (
    "verify",
    "source",
    "quality",
    "run",
    "publication",
    "data",
    "harvest",
    "portal",
    "publicar",
)

Catalogue = Mapping[str, Mapping[str, str]]


class MessageError(LookupError):
    """Unknown key or language, a missing parameter, or a malformed catalogue."""


def domain(name: str) -> Catalogue:
    """The messages of one domain module (``messages.<name>.MESSAGES``)."""
    if name not in DOMAINS:
        raise MessageError(f"unknown message domain {name!r}; known: {', '.join(DOMAINS)}")
    table: Catalogue = importlib.import_module(f"{__name__}.{name}").MESSAGES
    return table


@cache
def catalogue() -> Catalogue:
    """Every domain merged into one mapping (a key defined in two domains is an error)."""
    merged: dict[str, Mapping[str, str]] = {}
    for name in DOMAINS:
        for key, texts in domain(name).items():
            if key in merged:
                raise MessageError(f"message key {key!r} of domain {name!r} is defined twice")
            merged[key] = texts
    return merged


def has(key: str) -> bool:
    """Whether ``key`` is in the catalogue."""
    return key in catalogue()


def text(key: str, /, lang: str = DEFAULT_LANG, **params: Any) -> str:
    """The text of ``key`` in ``lang`` with ``params`` filled in."""
    if lang not in LANGUAGES:
        raise MessageError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    try:
        template = catalogue()[key][lang]
    except KeyError:
        raise MessageError(f"unknown message key {key!r}") from None
    try:
        return template.format(**params)
    except (KeyError, IndexError) as error:
        raise MessageError(f"message {key!r} needs parameter {error}") from None


def placeholders(template: str) -> frozenset[str]:
    """Names of the ``{placeholders}`` of a template (escaped ``{{braces}}`` excluded)."""
    return frozenset(
        field.split(".")[0].split("[")[0]
        for _, field, _, _ in string.Formatter().parse(template)
        if field is not None
    )
