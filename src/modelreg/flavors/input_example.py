"""The input example kept in a model's manifest, as the JSON body of a scoring request.

``save_model`` keeps the first :data:`MAX_ROWS` rows of ``input_example`` in
``modelreg.json`` under ``input_example``, written exactly as a caller
would POST it to ``modelreg serve`` (MLflow's scoring format): a DataFrame
as ``{"dataframe_split": {"columns": …, "data": …}}``, an array or list as
``{"inputs": …}``, a dict of arrays as ``{"inputs": {name: …}}``. The
server warms each version it loads by predicting it, through the same
parsing as a request. An example that does not fit in :data:`MAX_BYTES` of
JSON, or is not JSON at all (NaN, bytes, images), is not kept.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

MAX_ROWS = 5
MAX_BYTES = 64 * 1024


def example_payload(example: Any) -> dict[str, Any] | None:
    """The scoring-request body for the first rows of ``example``, or None (see the module)."""
    try:
        payload = _payload(example)
        text = json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError, IndexError, AttributeError, KeyError):
        return None
    return payload if len(text) <= MAX_BYTES else None


def _payload(example: Any) -> dict[str, Any]:
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(example, pd.DataFrame):
        head = example.head(MAX_ROWS)
        split = json.loads(head.to_json(orient="split", index=False, date_format="iso"))
        columns = [str(c) for c in head.columns]
        return {"dataframe_split": {"columns": columns, "data": split["data"]}}
    if isinstance(example, Mapping):
        return {"inputs": {str(k): _rows(v) for k, v in example.items()}}
    return {"inputs": _rows(example)}


def _rows(value: Any) -> Any:
    head = value[:MAX_ROWS]
    if hasattr(head, "detach"):  # a torch tensor
        head = head.detach().cpu().numpy()
    tolist = getattr(head, "tolist", None)
    head = tolist() if callable(tolist) else list(head)
    if any(isinstance(v, bytes) for v in head):
        raise TypeError("bytes are not JSON")
    return head
