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
    # Background runs: "inline" (a thread of the web process; nothing to install) or "rq" (an
    # RQ queue on SUTIAO_REDIS_URL, executed by `sutiao worker` processes anywhere).
    "SUTIAO_RUN_EXECUTOR": "inline",
    "SUTIAO_REDIS_URL": None,
    "SUTIAO_RQ_QUEUE": "sutiao",
    # A running run's worker writes a heartbeat this often; a run silent for longer than the
    # stale limit (killed worker, lost machine) is marked failed.
    "SUTIAO_RUN_HEARTBEAT_SECONDS": 2.0,
    "SUTIAO_RUN_STALE_SECONDS": 30.0,
    # iCal feeds: keep rendered feeds in each web process and serve one again (200 or 304)
    # without rendering while nothing it shows has changed (web/feeds.py); 0 renders every
    # request (the benchmark's baseline).
    "SUTIAO_FEED_CACHE": True,
}

_DECIMAL_KEYS = {"SUTIAO_SMALL_CLAIMS_THRESHOLD", "SUTIAO_MAJOR_AMOUNT"}
_FLOAT_KEYS = {"SUTIAO_RUN_HEARTBEAT_SECONDS", "SUTIAO_RUN_STALE_SECONDS"}
_BOOL_KEYS = {"SUTIAO_FEED_CACHE"}  # 0, false, no, off (any case) or empty: off


def load_config(instance_path: Path) -> dict[str, Any]:
    config = dict(DEFAULTS)
    for key in DEFAULTS:
        if key in os.environ:
            value: Any = os.environ[key]
            if key in _DECIMAL_KEYS:
                value = Decimal(value)
            elif key in _FLOAT_KEYS:
                value = float(value)
            elif key in _BOOL_KEYS:
                value = value.strip().lower() not in ("0", "false", "no", "off", "")
            config[key] = value
    if not config["SUTIAO_DATABASE_URL"]:
        config["SUTIAO_DATABASE_URL"] = f"sqlite:///{instance_path / 'sutiao.db'}"
    return config
