"""``modelreg serve`` and ``modelreg predict``: a model from the registry, over HTTP or in batch.

- :mod:`modelreg.serving.app`: the scoring server (MLflow-compatible endpoints).
- :mod:`modelreg.serving.follow`: the version serving now, and following the registry.
- :mod:`modelreg.serving.payloads`: request bodies in, predictions out.
- :mod:`modelreg.serving.batch`: scoring files in chunks.
- :mod:`modelreg.serving.run`: starting the server (uvicorn, workers).

Needs the ``server`` extra (Starlette, uvicorn, prometheus-client) and pandas.
"""
