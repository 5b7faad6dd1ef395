"""OCDS release packages and record packages (compiled releases merged offline with ocdsmerge)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PACKAGE_VERSION = "1.1"


@dataclass(frozen=True)
class Licence:
    """A data licence as catalogues name it (SPDX-like id and title)."""

    url: str
    id: str
    title: str


KNOWN_LICENCES = {
    licence.url: licence
    for licence in (
        Licence(
            "https://creativecommons.org/licenses/by/4.0/",
            "CC-BY-4.0",
            "Creative Commons Attribution 4.0",
        ),
        Licence(
            "https://creativecommons.org/licenses/by-sa/4.0/",
            "CC-BY-SA-4.0",
            "Creative Commons Attribution Share-Alike 4.0",
        ),
        Licence(
            "https://creativecommons.org/publicdomain/zero/1.0/",
            "CC0-1.0",
            "Creative Commons CC0 1.0 Universal",
        ),
        Licence(
            "https://opendatacommons.org/licenses/by/1-0/",
            "ODC-By-1.0",
            "Open Data Commons Attribution License 1.0",
        ),
    )
}


def licence_of(url: str) -> Licence:
    """The catalogue id and title of a licence URL (the URL itself when unknown)."""
    return KNOWN_LICENCES.get(url) or Licence(url, url, url)


def _metadata(
    *, uri: str, published_date: str, metadata: Mapping[str, Any], extensions: Sequence[str]
) -> dict[str, Any]:
    """Fields shared by release and record packages (``metadata``: ``package_metadata(...)``)."""
    return {
        "uri": uri,
        "version": PACKAGE_VERSION,
        "extensions": list(extensions),
        "publishedDate": published_date,
        "publisher": dict(metadata["publisher"]),
        "license": metadata["license"],
        "publicationPolicy": metadata["publicationPolicy"],
    }


def release_package(
    releases: Sequence[Mapping[str, Any]],
    *,
    uri: str,
    published_date: str,
    metadata: Mapping[str, Any],
    extensions: Sequence[str],
) -> dict[str, Any]:
    """A release package; ``published_date`` is ``publication_time(...)``, never the wall clock;
    ``metadata`` is the publisher/licence/policy block of ``identity.package_metadata``."""
    package = _metadata(
        uri=uri, published_date=published_date, metadata=metadata, extensions=extensions
    )
    package["releases"] = list(releases)
    return package


def group_by_ocid(releases: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Releases per ocid, each list sorted by date (ocids in sorted order)."""
    grouped: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for release in releases:
        grouped[release["ocid"]].append(release)
    return {ocid: sorted(grouped[ocid], key=lambda r: r["date"]) for ocid in sorted(grouped)}


def compiled_release(history: Sequence[Mapping[str, Any]], merger: Any) -> dict[str, Any]:
    """Compiled release of one ocid's releases (sorted by date).

    A single release compiles to itself with ``id = "{ocid}-{date}"`` and ``tag = ["compiled"]``
    (what ocdsmerge returns, checked by a test), so only longer histories go through ocdsmerge.
    """
    if len(history) == 1:
        release = history[0]
        return {**release, "id": f"{release['ocid']}-{release['date']}", "tag": ["compiled"]}
    return merger.create_compiled_release([dict(release) for release in history])


def record_package(
    releases: Sequence[Mapping[str, Any]],
    *,
    schema: Mapping[str, Any],
    uri: str,
    published_date: str,
    metadata: Mapping[str, Any],
    extensions: Sequence[str],
    release_url: Callable[[Mapping[str, Any]], str] | None = None,
    merger: Any = None,
) -> dict[str, Any]:
    """A record package with a compiled release per ocid.

    `schema` is the patched release schema (`schema.load_release_schema()`): merge rules come
    from it, so nothing is downloaded. With `release_url`, records link to their releases
    (`{url, date, tag}`) instead of embedding them. `merger` is an ``ocdsmerge.Merger`` built
    from that same schema (resolving its merge rules is costly: callers may reuse one).
    """
    if merger is None:
        from ocdsmerge import Merger

        merger = Merger(schema=dict(schema))
    records = []
    for ocid, history in group_by_ocid(releases).items():
        if release_url is None:
            listed: list[Any] = [dict(release) for release in history]
        else:
            listed = [
                {"url": release_url(release), "date": release["date"], "tag": release["tag"]}
                for release in history
            ]
        records.append(
            {"ocid": ocid, "releases": listed, "compiledRelease": compiled_release(history, merger)}
        )
    package = _metadata(
        uri=uri, published_date=published_date, metadata=metadata, extensions=extensions
    )
    package["records"] = records
    return package
