"""Configuration defaults; every key can be overridden by an environment variable of that name."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # Embedded default: instance/sutiao.db under the working directory.
    "SUTIAO_DATABASE_URL": None,
    "SECRET_KEY": "dev-only-change-me",
    # Amount at or under which a case goes on the small-claims fast track (yuan).
    "SUTIAO_SMALL_CLAIMS_THRESHOLD": Decimal("50000"),
    # A 疑难复杂 case at or above this amount (yuan) is major (重大): joint mediation + conference.
    "SUTIAO_MAJOR_AMOUNT": Decimal("5000000"),
    # Public base URL used in feed links printed by the CLI.
    "SUTIAO_BASE_URL": "http://127.0.0.1:5000",
    # Court API: requests per key (Flask-Limiter syntax), and where the counts live. memory://
    # counts per process; with several gunicorn workers use a shared redis:// store.
    "SUTIAO_API_RATE_LIMIT": "120 per minute",
    "SUTIAO_RATELIMIT_STORAGE_URI": "memory://",
}

_DECIMAL_KEYS = {"SUTIAO_SMALL_CLAIMS_THRESHOLD", "SUTIAO_MAJOR_AMOUNT"}


def load_config(instance_path: Path) -> dict[str, Any]:
    config = dict(DEFAULTS)
    for key in DEFAULTS:
        if key in os.environ:
            value: Any = os.environ[key]
            if key in _DECIMAL_KEYS:
                value = Decimal(value)
            config[key] = value
    if not config["SUTIAO_DATABASE_URL"]:
        config["SUTIAO_DATABASE_URL"] = f"sqlite:///{instance_path / 'sutiao.db'}"
    return config
