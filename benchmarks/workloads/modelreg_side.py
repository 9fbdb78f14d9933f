"""The workload against modelreg embedded on SQLite (runs in the current interpreter)."""

from __future__ import annotations

import os

from workload import Side, main

from modelreg import Client
from modelreg.entities import Metric, Param, RunTag


def open_side(workdir: str) -> Side:
    # Artifacts default to a folder next to the database, inside workdir.
    client = Client(f"sqlite:///{os.path.join(workdir, 'registry.db')}")
    return Side(client, Metric, Param, RunTag, client.create_experiment)


if __name__ == "__main__":
    main(open_side)
