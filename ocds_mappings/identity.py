"""The publisher's identity in OCDS terms: ocids, the package metadata block and its labels.

Two ways to run the pipeline (docs/publication-policy.md, "Publisher and source"):

- as PERÚ COMPRAS: ``identity.publisher_*`` name the agency (scheme ``PE-RUC``, uid
  20600927818), ``identity.ocid_prefix`` is its registered prefix and ``identity.ocid_pattern``
  reproduces the ocids of its own OCDS export, so one order never gets two ocids;
- as a third party: its own registered prefix and name; PERÚ COMPRAS is credited as the
  source of the data (policy), never named as publisher.

The ``dev`` profile's default publisher is a placeholder (``settings.DEV_PUBLISHER_*``, never
PERÚ COMPRAS), which the ``production`` profile refuses. Every package of the ``dev`` profile,
and every package built from synthetic source files, says so in ``publisher.name``; the policy
explains the label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from integrity.layout import POLICY_FILE
from settings import DEFAULT_OCID_PATTERN, Identity

PERU_COMPRAS_RUC = "20600927818"
PERU_COMPRAS_NAME = "CENTRAL DE COMPRAS PÚBLICAS - PERÚ COMPRAS"
PERU_COMPRAS_SCHEME = "PE-RUC"
SOURCE_PORTAL = "https://www.datosabiertos.gob.pe"
FRAMEWORK_OCID_INFIX = "-AM-"

Profile = Literal["dev", "production"]

# Labels appended to publisher.name (Spanish, the language of the packages).
DEV_LABEL = "publicación no oficial, perfil de desarrollo"
SYNTHETIC_LABEL = "datos sintéticos, no son órdenes reales"


@dataclass(frozen=True)
class OcidScheme:
    """How ocids are built: call-offs from ``pattern``, first stages ``{prefix}-AM-{code}``."""

    prefix: str
    pattern: str = DEFAULT_OCID_PATTERN

    @classmethod
    def of(cls, identity: Identity) -> OcidScheme:
        """The scheme the identity settings describe."""
        return cls(identity.ocid_prefix, identity.ocid_pattern)

    def call_off(self, order_id: str, order_number: str) -> str:
        """ocid of a purchase order (OCAM)."""
        return self.pattern.format(prefix=self.prefix, order_id=order_id, order_number=order_number)

    def framework(self, agreement_code: str) -> str:
        """ocid of an Acuerdo Marco's first stage."""
        return f"{self.prefix}{FRAMEWORK_OCID_INFIX}{agreement_code}"

    def is_framework(self, ocid: str) -> bool:
        """Whether ``ocid`` is a first stage's."""
        return ocid.startswith(f"{self.prefix}{FRAMEWORK_OCID_INFIX}")

    def agreement_code(self, ocid: str) -> str | None:
        """The agreement code of a first-stage ocid (None for any other ocid)."""
        head = f"{self.prefix}{FRAMEWORK_OCID_INFIX}"
        return ocid[len(head) :] if ocid.startswith(head) else None


def runs_as_data_source(identity: Identity) -> bool:
    """Whether the publisher is PERÚ COMPRAS itself (the first way to run the pipeline)."""
    return (
        identity.publisher_scheme == PERU_COMPRAS_SCHEME
        and identity.publisher_uid == PERU_COMPRAS_RUC
    )


def policy_url(identity: Identity) -> str:
    """The ``publicationPolicy`` URL: the configured one, else the policy served at the root."""
    return identity.policy_url or f"{identity.base_url}/{POLICY_FILE}"


def publication_labels(*, profile: Profile, synthetic: bool) -> list[str]:
    """What a package must say about itself: not official (dev profile), synthetic data."""
    labels = []
    if profile != "production":
        labels.append(DEV_LABEL)
    if synthetic:
        labels.append(SYNTHETIC_LABEL)
    return labels


def publisher_block(identity: Identity, *, profile: Profile, synthetic: bool) -> dict[str, str]:
    """The package ``publisher``: the configured organisation, its name labelled when needed."""
    labels = publication_labels(profile=profile, synthetic=synthetic)
    name = identity.publisher_name
    if labels:
        name = f"{name} ({'; '.join(labels)})"
    publisher = {
        "name": name,
        "scheme": identity.publisher_scheme,
        "uid": identity.publisher_uid,
    }
    if identity.publisher_uri:
        publisher["uri"] = identity.publisher_uri
    return publisher


def package_metadata(identity: Identity, *, profile: Profile, synthetic: bool) -> dict[str, Any]:
    """``publisher``, ``license`` and ``publicationPolicy`` of every release and record package:
    one place builds them from the settings, the profile and the synthetic flag."""
    return {
        "publisher": publisher_block(identity, profile=profile, synthetic=synthetic),
        "license": identity.license,
        "publicationPolicy": policy_url(identity),
    }
