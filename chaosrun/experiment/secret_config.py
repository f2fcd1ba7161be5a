"""Configuration entries an experiment declares secret (``{type: env, key: X, secret: true}``).

A leaf module: the loader records these keys before variables are applied (a variable replaces
the whole entry, marker included, as chaoslib's ``load_configuration`` does), and the engine's
scrubber masks their values.
"""

from typing import Any


def secret_config_keys(config_info: dict[str, Any] | None) -> list[str]:
    """Configuration keys declared secret: ``{type: env, key: X, secret: true}``."""
    return [
        key
        for key, value in (config_info or {}).items()
        if isinstance(value, dict) and value.get("secret") is True
    ]
