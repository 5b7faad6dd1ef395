"""Issue 15: GX's keyword look-ups read an expectation's configuration once per validation.

GX 1.x rebuilds an expectation's ``configuration`` (``self.dict()`` and a new
``ExpectationConfiguration``) on every read, and its keyword look-ups (``Expectation.
_get_domain_kwargs``, ``_get_success_kwargs``, ``_get_success_kwarg``, ``_get_result_format``)
read it once per keyword: ~80 builds per expectation per validation, ~40% of GX's fixed cost.
Inside ``memoized_configurations`` (one validation, in this thread), when one of those four
reads an object's ``configuration``, the configuration built at the first such read is reused,
as long as none of the object's fields has been reassigned since (checked at every read). They
only look keywords up in it: the kept configuration itself is never handed out. Every other
read (``ExpectationSuite.expectation_configurations``, whose results GX changes in place when it
substitutes suite parameters, ``_build_evr``, ...) gets a new configuration, as in GX. Outside
the block, in other threads, and with a GX version this was not checked against (or whose four
look-ups are not the ones checked), ``configuration`` is GX's own.

A configuration depends only on the object's class and field values; the memo lives for one
validation. ``tests/test_gx_configurations.py`` checks, with ``CHECK`` on, that every memoized
read equals a fresh build and that nothing was changed in place by the end of the block, and
that GX's results are the same with and without the memo.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import types
from collections.abc import Iterator
from typing import Any

# GX versions whose ``Expectation.configuration`` is a pure function of the object's fields
# (read in the installed sources); another version keeps GX's own property.
TESTED_VERSIONS = frozenset({"1.24.1"})
# Tests: compare every memoized read with a fresh build, and each kept configuration with a
# fresh build at the end of the block (AssertionError on a difference).
CHECK = False

_STATE = threading.local()
_INSTALLED: dict[str, Any] = {}
_INSTALL_LOCK = threading.Lock()


def _fields(expectation: Any) -> tuple[Any, ...]:
    """What a configuration is built from, compared by identity: the field values."""
    return tuple(vars(expectation).values())


# The look-ups whose reads are memoized: they only read ``configuration.kwargs``.
_LOOKUPS = ("_get_domain_kwargs", "_get_success_kwargs", "_get_success_kwarg", "_get_result_format")


def _lookup_codes(expectation_class: type) -> frozenset[types.CodeType]:
    """The code objects of the look-ups and of the comprehensions inside them (a frame that
    reads ``configuration`` runs one of these)."""
    codes: set[types.CodeType] = set()
    for name in _LOOKUPS:
        code = vars(expectation_class)[name].__code__
        codes.add(code)
        codes.update(const for const in code.co_consts if isinstance(const, types.CodeType))
    return frozenset(codes)


def _install() -> Any | None:
    """Wrap ``Expectation.configuration`` (once per process); the original property, or None
    when this GX version or its property is not the one checked."""
    with _INSTALL_LOCK:
        if "original" in _INSTALLED:
            return _INSTALLED["original"]
        import great_expectations as gx
        from great_expectations.expectations.expectation import Expectation

        original = Expectation.__dict__.get("configuration")
        if gx.__version__ not in TESTED_VERSIONS or not isinstance(original, property):
            _INSTALLED["original"] = None
            return None
        build = original.fget
        try:
            lookups = _lookup_codes(Expectation)
        except (KeyError, AttributeError):  # not the look-ups checked
            build = None
        if build is None:
            _INSTALLED["original"] = None
            return None

        def configuration(self: Any) -> Any:
            memo: dict[int, tuple[Any, tuple[Any, ...], Any]] | None = getattr(_STATE, "memo", None)
            if memo is None or sys._getframe(1).f_code not in lookups:
                return build(self)
            fields = _fields(self)
            kept = memo.get(id(self))
            if (
                kept is not None
                and kept[0] is self
                and len(kept[1]) == len(fields)
                and all(a is b for a, b in zip(kept[1], fields, strict=True))
            ):
                if CHECK and build(self) != kept[2]:
                    raise AssertionError(f"memoized configuration differs: {type(self).__name__}")
                return kept[2]
            built = build(self)
            memo[id(self)] = (self, fields, built)  # holds ``self``: its id is not reused
            return built

        Expectation.configuration = property(configuration, doc=original.__doc__)  # type: ignore[method-assign,assignment]
        _INSTALLED["original"] = original
        return original


def active() -> bool:
    """True when ``memoized_configurations`` memoizes in this process (tested GX version)."""
    return _install() is not None


@contextlib.contextmanager
def memoized_configurations() -> Iterator[None]:
    """Within the block, in this thread, GX's keyword look-ups build each expectation object's
    ``configuration`` once (until a field of the object is reassigned); nested blocks share the
    outer memo. With ``CHECK``: AssertionError when something changed a kept configuration or
    an object in place."""
    if _install() is None or getattr(_STATE, "memo", None) is not None:
        yield
        return
    memo: dict[int, tuple[Any, tuple[Any, ...], Any]] = {}
    _STATE.memo = memo
    try:
        yield
    finally:
        _STATE.memo = None
    if CHECK:  # the block ended normally
        original = _INSTALLED["original"]
        for expectation, _, kept in memo.values():
            if original.fget(expectation) != kept:
                raise AssertionError(
                    f"configuration changed in place: {type(expectation).__name__}"
                )
