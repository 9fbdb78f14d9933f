"""Runs compatibility scenarios with MLflow's own Python against one tracking server.

    python run_scenarios.py http://127.0.0.1:5000 [scenario ...]

Prints, on its last line after "RESULTS ", one JSON object: scenario name → what
the MLflow client saw, or ``{"crash": "<exception>"}`` when the scenario failed.
"""

from __future__ import annotations

import sys
import traceback

import scenarios_models  # noqa: F401  (registers its scenarios)
import scenarios_registry  # noqa: F401
import scenarios_tracking  # noqa: F401
import scenarios_webhooks  # noqa: F401
from compat_support import SCENARIOS, dump


def main() -> None:
    uri, wanted = sys.argv[1], sys.argv[2:] or list(SCENARIOS)
    results = {}
    for name in wanted:
        try:
            results[name] = SCENARIOS[name](uri)
        except Exception as exc:  # a crash is a result too: the other server may not crash
            traceback.print_exc()
            results[name] = {"crash": f"{type(exc).__name__}: {str(exc)[:300]}"}
    print("RESULTS " + dump(results))


if __name__ == "__main__":
    main()
