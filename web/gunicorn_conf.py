"""gunicorn settings for Sutiao: ``gunicorn -c python:web.gunicorn_conf "web:create_app()"``.

Other settings (workers, bind, worker class) stay on the command line or in GUNICORN_CMD_ARGS.
"""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Move everything alive once the worker has loaded the app (modules, the app, SQLAlchemy's
    mappers and statement caches) out of the garbage collector's generations.

    It lives as long as the worker, and without this every full collection walks all of it:
    about 175,000 objects, which measured here as pauses of up to 170 ms in the middle of a
    request (a feed render, a court lookup) instead of under 10 ms. The collector still runs on
    what requests allocate. This is gc.freeze() as its documentation recommends for forking
    servers."""
    gc.freeze()
