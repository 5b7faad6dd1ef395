"""The one settings object of the pipeline (pydantic-settings): environment, TOML file, defaults.

``from settings import Settings, load_settings, SettingsError``. Imports nothing of the project.
"""

from settings.loading import SettingRow, SettingsError, describe, load_settings, setting_paths
from settings.model import (
    DEFAULT_OCID_PATTERN,
    DEV_BASE_URL,
    EXAMPLE_CONTACT_EMAIL,
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
    Storage,
    default_devchain_dir,
    default_source_dir,
    default_state_dir,
    default_storage_dir,
    env_name,
    parse_s3_uri,
)

__all__ = [
    "DEFAULT_OCID_PATTERN",
    "DEV_BASE_URL",
    "EXAMPLE_CONTACT_EMAIL",
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
    "Storage",
    "default_devchain_dir",
    "default_source_dir",
    "default_state_dir",
    "default_storage_dir",
    "describe",
    "env_name",
    "load_settings",
    "parse_s3_uri",
    "setting_paths",
]
