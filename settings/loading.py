"""Load the settings once per entry point, refuse bad ones clearly, say where each came from."""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_settings import EnvSettingsSource

from settings.model import (
    CONFIG_FILE_IN_USE,
    ENV_PREFIX,
    Origin,
    ProductionRefusal,
    Settings,
    env_name,
    how_to_set,
)

CONFIG_ENV = "PERUCOMPRAS_CONFIG"
CONFIG_FILE = "perucompras.toml"
# PERUCOMPRAS_* variables that are not settings, so that the typo check leaves them alone.
OTHER_VARIABLES = {
    CONFIG_ENV: "path of the settings file",
    "PERUCOMPRAS_DATASETS": "notebooks/: the datasets root to explore",
    "PERUCOMPRAS_DIA": "notebooks/: the day to explore",
    "PERUCOMPRAS_UPDATE_GOLDEN": "tests/test_golden_bytes.py: rewrite the expected digests",
    "PERUCOMPRAS_REQUIRE_SHARED": "tests/: fail, not skip, the tests that need ../shared",
}
SECRETS = ("chain.private_key", "chain.keystore_passphrase", "storage.secret_access_key")
MASK = "********"


class SettingsError(Exception):
    """The settings cannot be used; the message names each setting and how to set it."""


def setting_paths(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[str]:
    """Dotted names of every leaf setting, in declaration order."""
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from setting_paths(annotation, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


def _config_path(config_file: Path | None) -> Path | None:
    if config_file is not None:
        chosen, why = config_file, "given"
    elif os.environ.get(CONFIG_ENV):
        chosen, why = Path(os.environ[CONFIG_ENV]), f"named by {CONFIG_ENV}"
    else:
        default = Path(CONFIG_FILE)
        return default.resolve() if default.is_file() else None
    if not chosen.is_file():
        raise SettingsError(f"settings file {chosen} ({why}) does not exist")
    return chosen.resolve()


def _unknown_variables() -> list[str]:
    known = {env_name(path) for path in setting_paths()}
    groups = ("identity", "source", "chain", "bulk", "indicators", "storage")
    known |= {env_name(group) for group in groups} | set(OTHER_VARIABLES)
    problems = []
    for name in sorted(n for n in os.environ if n.upper().startswith(ENV_PREFIX)):
        if name.upper() not in known:
            close = difflib.get_close_matches(name.upper(), sorted(known), n=1)
            hint = f"did you mean {close[0]}?" if close else "see `publicar config`"
            problems.append(f"{name}: not a setting ({hint})")
    return problems


def _read_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML ({error})") from None


def _has(values: Mapping[str, Any], path: str) -> bool:
    node: Any = values
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _explain(error: ValidationError) -> list[str]:
    lines: list[str] = []
    for item in error.errors():
        cause = item.get("ctx", {}).get("error")
        if isinstance(cause, ProductionRefusal):
            lines.extend(cause.problems)
            continue
        path = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if path in set(setting_paths()):
            lines.append(f"{path}: {message}; {how_to_set(path)}")
        else:
            lines.append(f"{path}: {message}" if path else message)
    return lines


def load_settings(
    *, config_file: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Read defaults < ``perucompras.toml`` < ``PERUCOMPRAS_*`` < ``overrides``, validated.

    The file is ``config_file``, else ``$PERUCOMPRAS_CONFIG``, else ``./perucompras.toml`` if
    present. Raises ``SettingsError`` naming every refused setting (the production profile's
    refusals included) before anything is written.
    """
    path = _config_path(config_file)
    file_values = _read_file(path)
    unknown = _unknown_variables()
    in_file = [name for name in SECRETS if _has(file_values, name)]
    if unknown or in_file:
        raise SettingsError(
            "invalid settings:\n"
            + "\n".join(
                [
                    *(f"  - {line}" for line in unknown),
                    *(
                        f"  - {name}: a secret must not be written in {path}, a file that may "
                        f"be shared or committed; set {env_name(name)} in the environment"
                        for name in in_file
                    ),
                ]
            )
        )
    token = CONFIG_FILE_IN_USE.set(path)
    try:
        settings = Settings(**dict(overrides or {}))
    except ValidationError as error:
        lines = _explain(error)
        production = any(
            isinstance(item.get("ctx", {}).get("error"), ProductionRefusal)
            for item in error.errors()
        )
        header = (
            "the production profile (PERUCOMPRAS_PROFILE=production) refuses these settings:"
            if production
            else "invalid settings:"
        )
        raise SettingsError("\n".join([header, *(f"  - {line}" for line in lines)])) from None
    finally:
        CONFIG_FILE_IN_USE.reset(token)
    env_values = EnvSettingsSource(Settings)()
    origins: dict[str, Origin] = {}
    for setting in setting_paths():
        if _has(overrides or {}, setting):
            origins[setting] = "argument"
        elif _has(env_values, setting):
            origins[setting] = "environment"
        elif _has(file_values, setting):
            origins[setting] = "file"
    settings._origins = origins
    settings._config_file = path
    return settings


@dataclass(frozen=True)
class SettingRow:
    """One line of ``publicar config``."""

    path: str
    env: str
    value: str
    origin: Origin


def _value(settings: BaseModel, path: str) -> Any:
    node: Any = settings
    for part in path.split("."):
        node = getattr(node, part)
    return node


def _display(value: Any) -> str:
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else "(not set)"
    if value is None:
        return "(not set)"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def describe(settings: Settings) -> list[SettingRow]:
    """Every effective setting, its variable and where it came from (secrets masked)."""
    return [
        SettingRow(path, env_name(path), _display(_value(settings, path)), settings.origin(path))
        for path in setting_paths()
    ]
