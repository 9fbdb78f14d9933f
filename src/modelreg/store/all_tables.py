"""The whole schema: the core tables (:mod:`modelreg.store.schema`) and the logged
models' (:mod:`modelreg.store.schema_logged_models`), which share one ``metadata``.

What walks every table (backups, migrations, tests that empty a database)
takes ``metadata`` from here, so no table is left out.
"""

from __future__ import annotations

from modelreg.store.schema import metadata
from modelreg.store.schema_logged_models import logged_models

__all__ = ["logged_models", "metadata"]
