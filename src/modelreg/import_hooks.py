"""Running code right after a module is imported, without importing it now.

Autologging wraps a library's training call (``keras.Model.fit``,
``transformers.Trainer.train``); importing the library to do so would take
seconds from every ``modelreg.autolog()`` of a script that never uses it. Where
the module is not imported yet, a finder ahead of the others lets the import
happen as it would, then hands the module to the waiting code.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Then = Callable[[types.ModuleType], None]
_ORIGINAL = "__modelreg_original__"


def when_imported(name: str, then: Then) -> None:
    """Calls ``then(module)`` now if module ``name`` is imported, else right after it is
    (once; a later call for the same name replaces a pending one)."""
    module = sys.modules.get(name)
    if module is not None:
        then(module)
        return
    forget(name)
    sys.meta_path.insert(0, _AfterImport(name, then))


def forget(name: str) -> None:
    """Drops what waits for module ``name``."""
    sys.meta_path[:] = [
        f for f in sys.meta_path if not (isinstance(f, _AfterImport) and f.name == name)
    ]


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds module ``name`` as the other finders do; its loader then calls ``then``."""

    def __init__(self, name: str, then: Then) -> None:
        self.name = name
        self.then = then

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # one import: the others find it from here on
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _ThenCall(spec.loader, self.then)
        return spec


class _ThenCall(importlib.abc.Loader):
    """The module's own loader, calling ``then`` once the module ran."""

    def __init__(self, loader: Any, then: Then) -> None:
        self._loader = loader
        self._then = then

    def __getattr__(self, name: str) -> Any:  # resources, code, file name: the loader's
        return getattr(self._loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)
        self._then(module)


@dataclass
class MethodWrap:
    """``cls.method`` of module ``module`` (or, with ``cls`` ``None``, the module's function
    ``method``) replaced by ``wrap(method)`` from :meth:`on` (now, or once the module is
    imported) until :meth:`off` puts the original back."""

    module: str
    cls: str | None
    method: str
    wrap: Callable[[Callable[..., Any]], Callable[..., Any]]
    enabled: bool = False

    def on(self) -> None:
        self.enabled = True
        when_imported(self.module, self._apply)

    def off(self) -> None:
        self.enabled = False
        forget(self.module)
        module = sys.modules.get(self.module)
        target = module if self.cls is None else getattr(module, self.cls, None)
        current = vars(target).get(self.method) if target is not None else None
        if current is not None and hasattr(current, _ORIGINAL):
            setattr(target, self.method, getattr(current, _ORIGINAL))

    def _apply(self, module: types.ModuleType) -> None:
        target = module if self.cls is None else getattr(module, self.cls)
        original = getattr(target, self.method)
        if self.enabled and not hasattr(original, _ORIGINAL):
            wrapped = self.wrap(original)
            setattr(wrapped, _ORIGINAL, original)
            setattr(target, self.method, wrapped)
