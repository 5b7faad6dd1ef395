"""The one settings object of the pipeline (pydantic-settings): environment, TOML file, defaults.

``from settings import Settings, load_settings, SettingsError``. Imports nothing of the project.
"""

from settings.loading import SettingRow, SettingsError, describe, load_settings, setting_paths
from settings.model import (
    DEFAULT_OCID_PATTERN,
    DEV_BASE_URL,
    EXAMPLE_OCID_PREFIX,
    SOURCE_FIRST_DAY,
    Bulk,
    Chain,
    Identity,
    Indicators,
    Lang,
    Profile,
    Settings,
    Source,
    default_devchain_dir,
    default_source_dir,
    default_state_dir,
    env_name,
)

__all__ = [
    "DEFAULT_OCID_PATTERN",
    "DEV_BASE_URL",
    "EXAMPLE_OCID_PREFIX",
    "SOURCE_FIRST_DAY",
    "Bulk",
    "Chain",
    "Identity",
    "Indicators",
    "Lang",
    "Profile",
    "SettingRow",
    "Settings",
    "SettingsError",
    "Source",
    "default_devchain_dir",
    "default_source_dir",
    "default_state_dir",
    "describe",
    "env_name",
    "load_settings",
    "setting_paths",
]
