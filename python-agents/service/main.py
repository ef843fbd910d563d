"""Entry point: ``cd python-agents && .venv/bin/uvicorn service.main:app --port 8001``.

Settings come from the environment (see :mod:`service.config`).
"""

from __future__ import annotations

import logging
import os

from service.app import create_app


def _configure_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=os.environ.get("LOG_LEVEL", "INFO").upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )


_configure_logging()
app = create_app()
