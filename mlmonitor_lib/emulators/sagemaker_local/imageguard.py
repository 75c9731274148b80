"""Run a script in a container image's Python: only what the image holds is importable.

    python -I -S -u imageguard.py SPEC.json -- SCRIPT [ARG ...]

``SPEC.json`` is an :class:`~.images.ImportSpec`. ``-I -S``: no user site, no ``PYTHON*``
variables, no ``.pth`` files (our editable install and setuptools' shim live there), so the
interpreter starts with the standard library alone. This bootstrap then puts the spec's ``front``
entries first on ``sys.path`` (as the containers' PYTHONPATH does), appends this environment's
site-packages, and installs a path hook whose finders see, in each filtered directory, only the
names the image has; any other import fails exactly as in the image, with
``ModuleNotFoundError: No module named 'x'``, and ``importlib.util.find_spec`` says None.

Standard library only: it runs before anything else is importable.
"""

from __future__ import annotations

import importlib.machinery as machinery
import json
import os
import runpy
import sys
from collections.abc import Callable

_LOADERS = (
    (machinery.ExtensionFileLoader, machinery.EXTENSION_SUFFIXES),
    (machinery.SourceFileLoader, machinery.SOURCE_SUFFIXES),
    (machinery.SourcelessFileLoader, machinery.BYTECODE_SUFFIXES),
)


class ImageFileFinder(machinery.FileFinder):
    """The finder of one directory that finds only the names ``accept`` lets through."""

    def __init__(self, path: str, accept: Callable[[str], bool]) -> None:
        super().__init__(path, *_LOADERS)
        self._accept = accept

    def find_spec(self, fullname: str, target: object = None) -> machinery.ModuleSpec | None:
        if not self._accept(fullname.rpartition(".")[2]):
            return None
        return super().find_spec(fullname, target)  # type: ignore[arg-type]


def install(spec: dict) -> None:
    """Make ``sys.path`` and the import system the image's (see the module docstring)."""
    filters = {path: frozenset(names) for path, names in spec["filters"].items()}
    removed = frozenset(spec.get("removed_stdlib", ()))
    stdlib = [p for p in sys.path if p]
    stdlib_dirs = {p for p in stdlib if os.path.isdir(p)}

    def hook(path: str) -> ImageFileFinder:
        if path in filters:
            return ImageFileFinder(path, filters[path].__contains__)
        if removed and path in stdlib_dirs:
            return ImageFileFinder(path, lambda name: name not in removed)
        raise ImportError(f"{path} is not filtered")  # the next hook finds in it

    sys.path_hooks.insert(0, hook)
    sys.path[:] = [*spec["front"], *stdlib, *spec["site_dirs"]]
    sys.path_importer_cache.clear()


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] != "--":
        raise SystemExit("usage: imageguard.py SPEC.json -- SCRIPT [ARG ...]")
    with open(argv[0], encoding="utf-8") as stream:
        install(json.load(stream))
    sys.argv = argv[2:]
    runpy.run_path(argv[2], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
