"""Issue 15: ``Expectation.configuration`` built once per expectation object within a validation.

GX 1.x rebuilds an expectation's ``configuration`` (``self.dict()`` and a new
``ExpectationConfiguration``) on every read, and reads it once per keyword it looks up
(``_get_domain_kwargs``, ``_get_success_kwargs``, ``_get_success_kwarg``, ``_get_result_format``,
``_build_evr``): ~80 builds per expectation per validation, ~40% of GX's fixed cost. Inside
``memoized_configurations`` (one validation, in this thread), the first read of an object's
``configuration`` is kept and later reads of the same object return it, as long as none of the
object's fields has been reassigned since (checked at every read). Outside the block, in other
threads, and with a GX version this was not checked against, ``configuration`` is GX's own.

A configuration depends only on the object's class and field values. GX's validation builds
fresh domain objects from configurations (``to_domain_obj``) and only reads them; the memo lives
for one validation, so nothing it holds outlives the objects it was built from.
``tests/test_gx_configurations.py`` checks, with ``CHECK`` on, that every memoized read equals
a fresh build and that nothing was changed in place by the end of the block.
"""

from __future__ import annotations

import contextlib
import threading
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
        assert build is not None

        def configuration(self: Any) -> Any:
            memo: dict[int, tuple[Any, tuple[Any, ...], Any]] | None = getattr(_STATE, "memo", None)
            if memo is None:
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
    """Within the block, in this thread, each expectation object's ``configuration`` is built
    once (until a field of the object is reassigned). Nested blocks share the outer memo."""
    if _install() is None or getattr(_STATE, "memo", None) is not None:
        yield
        return
    memo: dict[int, tuple[Any, tuple[Any, ...], Any]] = {}
    _STATE.memo = memo
    try:
        yield
    finally:
        _STATE.memo = None
        if CHECK:
            original = _INSTALLED["original"]
            for expectation, _, kept in memo.values():
                if original.fget(expectation) != kept:
                    raise AssertionError(
                        f"configuration changed in place: {type(expectation).__name__}"
                    )
