"""What a SageMaker container image lets its Python import: package manifests, kept as data.

Why: a script that imports a package its image lacks fails on AWS (the serving container cannot
import ``code/inference.py``, its /ping fails and the endpoint ends ``Failed``; a training job
ends ``Failed`` with the script's ``ModuleNotFoundError``). Run in our test environment, which
has everything, the same script would pass. So each emulated container runs its script in a
child interpreter (:mod:`.imageguard`) that can import only:

* the standard library of the image's Python, less the modules that Python removed
  (``REMOVED_STDLIB``; the child runs this environment's interpreter);
* the modules of the distributions the image's Dockerfile installs, with their dependencies
  (``images/<repository>-<tag>.json``, one manifest per image and version, each naming the
  Dockerfile and commit it was read from), when they are installed in this environment: one
  that is not is unavailable, which is stricter than the image;
* what the model or the job brings, as the real containers load it: ``code/`` and ``code/lib``
  on the path (serving: aws/deep-learning-containers
  ``tensorflow/inference/docker/build_artifacts/sagemaker/serve.py``, ``_setup_gunicorn``:
  PYTHONPATH is ``/opt/ml/model/code`` plus ``code/lib`` when it exists), or the packages of
  ``requirements.txt``, which the container pip-installs at start (serving: ignored when
  ``code/lib`` exists; training: sagemaker-train ``templates.py`` installs the code directory's
  ``requirements.txt``). pip needs no network for a requirement the image already satisfies;
  any other needs PyPI, which an endpoint or job with network isolation cannot reach. The
  emulator never downloads: a requirement must be installed in this environment.
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
import inspect
import json
import re
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_DIR = Path(__file__).resolve().with_name("images")
GUARD = Path(__file__).resolve().with_name("imageguard.py")
# The interpreter flags of an image's Python: -I -S (see imageguard), -u (PYTHONUNBUFFERED=1
# in both images' Dockerfiles).
PYTHON_FLAGS = ("-I", "-S", "-u")
# Standard-library modules a Python version no longer has (What's New in Python 3.12: asynchat,
# asyncore, imp and smtpd removed; distutils too, but setuptools in both images provides it).
REMOVED_STDLIB = {
    "3.12": ("asynchat", "asyncore", "imp", "smtpd"),
}
_URI = re.compile(r"^(?:[^/]+/)?(?P<repository>[^:@]+):(?P<tag>[^@]+)$")
# 2.19-cpu, 2.19.0-cpu-py312-ubuntu22.04-sagemaker, 2.19-cpu-py312 ...
_TAG = re.compile(r"^(?P<version>\d+\.\d+)(?:\.\d+)?-(?P<device>cpu|gpu)"
                  r"(?:-py(?P<py>\d)(?P<minor>\d+))?")


class ImageError(Exception):
    """The container cannot start with what the image and the artifact provide."""


class UnknownImageError(ImageError):
    """No manifest describes this image: the emulator cannot know what its Python holds."""


@dataclass(frozen=True)
class Distribution:
    """One ``pip install`` of a manifest: the name, whether its dependencies came along, and
    (``requires``) the dependencies to follow when this environment lacks the distribution."""

    name: str
    dependencies: bool = True
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImageManifest:
    """The Python packages one container image installs (``images/*.json``)."""

    image: str
    repository: str
    version: str
    device: str
    python: str
    source: str
    distributions: tuple[Distribution, ...]
    # The image tags this manifest serves, when the tag does not read as ``<version>-<device>
    # [-py<xy>]`` (the scikit-learn images: ``1.9-0-cpu-py3``); empty: parsed as that.
    tags: tuple[str, ...] = ()
    # The serving contract of the image's inference side: "tensorflow" (TF Serving plus the
    # Python service, :mod:`.container`) or "scikit-learn" (:mod:`.sklearn_container`).
    serving: str = "tensorflow"

    @classmethod
    def read(cls, path: Path) -> ImageManifest:
        data = json.loads(path.read_text(encoding="utf-8"))
        distributions = tuple(
            Distribution(item) if isinstance(item, str)
            else Distribution(item["name"], bool(item.get("dependencies", True)),
                              tuple(item.get("requires", ())))
            for item in data["distributions"]
        )
        return cls(data["image"], data["repository"], data["version"], data["device"],
                   data["python"], data["source"], distributions, tuple(data.get("tags", ())),
                   data.get("serving", "tensorflow"))

    def serves(self, image_uri: str) -> bool:
        """True when ``image_uri`` (``<registry>/<repository>:<tag>``) is this image."""
        uri = _URI.match(image_uri.strip())
        if uri is not None and self.tags:
            return uri.group("repository") == self.repository and uri.group("tag") in self.tags
        tag = _TAG.match(uri.group("tag")) if uri else None
        if uri is None or tag is None or uri.group("repository") != self.repository:
            return False
        python = f"{tag.group('py')}.{tag.group('minor')}" if tag.group("py") else self.python
        return (tag.group("version"), tag.group("device"), python) == (
            self.version, self.device, self.python)


@functools.cache
def manifests() -> tuple[ImageManifest, ...]:
    """Every manifest shipped with the emulator."""
    return tuple(ImageManifest.read(p) for p in sorted(MANIFEST_DIR.glob("*.json")))


def manifest_for(image_uri: str | None) -> ImageManifest:
    """The manifest of ``image_uri``; :class:`UnknownImageError` naming those that exist."""
    for manifest in manifests():
        if image_uri and manifest.serves(image_uri):
            return manifest
    known = ", ".join(m.image for m in manifests())
    raise UnknownImageError(
        f"the local SageMaker emulator has no package manifest for image {image_uri!r}: it "
        f"knows {known} (add one to {MANIFEST_DIR} to run another image)"
    )


@dataclass
class ImportSpec:
    """What :mod:`.imageguard` makes importable in a container's Python (written as JSON)."""

    image: str
    front: list[str]  # before the standard library, as PYTHONPATH entries are
    site_dirs: list[str]  # this environment's site-packages, filtered by ``filters``
    filters: dict[str, list[str]]  # directory -> the only names importable from it
    removed_stdlib: list[str] = field(default_factory=list)

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.__dict__, indent=1), encoding="utf-8")
        return path


def import_spec(manifest: ImageManifest, front: list[Path],
                requirements: Path | None = None, network_isolation: bool = False) -> ImportSpec:
    """The import spec of a container running ``manifest``'s image with ``front`` on its path
    and ``requirements`` (a requirements.txt) pip-installed at start; :class:`ImageError` when
    pip could not install them."""
    extra = _requirements(manifest, requirements, network_isolation) if requirements else ()
    site_dirs, filters = _importable(manifest, extra)
    return ImportSpec(manifest.image, [str(p) for p in front], list(site_dirs),
                      {k: sorted(v) for k, v in filters.items()},
                      list(REMOVED_STDLIB.get(manifest.python, ())))


def guarded_command(spec: Path, script: Path, *args: str) -> list[str]:
    """The command running ``script`` in the image's Python described by ``spec``."""
    return [sys.executable, *PYTHON_FLAGS, str(GUARD), str(spec), "--", str(script), *args]


def _requirements(manifest: ImageManifest, path: Path,
                  network_isolation: bool) -> tuple[Distribution, ...]:
    """The distributions ``pip install -r path`` adds to the image (those it already has need
    no download); :class:`ImageError` with pip's outcome when one cannot be installed."""
    from packaging.requirements import InvalidRequirement, Requirement

    present = _closure(manifest.distributions, manifest.python)[0]
    added = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split(" #", 1)[0].strip()
        if not text or text.startswith(("#", "-")):
            continue  # comments and pip options (-r, --index-url...) carry no package
        try:
            name = Requirement(text).name
        except InvalidRequirement as exc:
            raise ImageError(f"pip cannot read {path.name}: {text!r}: {exc}") from None
        if _canonical(name) in present:
            continue
        if network_isolation:
            raise ImageError(
                f"ChildProcessError: failed to install required packages ({path.name} needs "
                f"{name!r} from PyPI, which a container with network isolation cannot reach; "
                "ship it in code/lib instead)")
        if not _installed(name):
            raise ImageError(
                f"the local SageMaker emulator installs nothing from PyPI: {name!r} of "
                f"{path.name} must be installed in this environment (or shipped in code/lib)")
        added.append(Distribution(name))
    return tuple(added)


@functools.cache
def _importable(manifest: ImageManifest, extra: tuple[Distribution, ...]
                ) -> tuple[tuple[str, ...], dict[str, frozenset[str]]]:
    """(site-packages directories, directory -> importable names) for the image plus ``extra``.

    A top-level package directory without ``__init__.py`` (a namespace such as ``google``) is
    shared between distributions: only the names the allowed ones put in it are importable.
    """
    found = _closure(manifest.distributions + extra, manifest.python)[0]
    filters: dict[str, set[str]] = {}
    for name in found:
        dist = metadata.distribution(name)
        site = Path(str(dist.locate_file(""))).resolve()
        for top, below in _modules(dist).items():
            filters.setdefault(str(site), set()).add(top)
            if (site / top).is_dir() and not (site / top / "__init__.py").exists():
                filters.setdefault(str(site / top), set()).update(below)
    site_dirs = tuple(dict.fromkeys(
        str(Path(p).resolve()) for p in (sysconfig.get_paths()["purelib"],
                                         sysconfig.get_paths()["platlib"])))
    return site_dirs, {k: frozenset(v) for k, v in filters.items()}


def _closure(roots: tuple[Distribution, ...], python: str) -> tuple[frozenset[str], frozenset[str]]:
    """(installed, missing) canonical names of ``roots`` and, for those installed with their
    dependencies, everything they require for ``python`` (markers evaluated for it, no extras)."""
    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    environment: dict[str, str] = {**default_environment(), "python_version": python,
                                   "python_full_version": f"{python}.0", "extra": ""}
    installed: set[str] = set()
    missing: set[str] = set()
    queue = [(d.name, d.dependencies) for d in roots]
    listed = {_canonical(d.name): d.requires for d in roots}
    while queue:
        name, with_dependencies = queue.pop()
        key = _canonical(name)
        if key in installed or key in missing:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.add(key)
            queue.extend((required, True) for required in listed.get(key, ()))
            continue
        installed.add(key)
        if with_dependencies:
            for text in dist.requires or ():
                requirement = Requirement(text)
                if requirement.marker is None or requirement.marker.evaluate(environment):
                    queue.append((requirement.name, True))
    return frozenset(installed), frozenset(missing)


def _modules(dist: Any) -> dict[str, set[str]]:
    """A distribution's top-level module names, each with the names it holds one level down
    (from its RECORD, else its top_level.txt)."""
    tops: dict[str, set[str]] = {}
    for file in dist.files or ():
        parts = file.parts
        if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith(
                (".dist-info", ".egg-info", ".data")):
            continue
        top = parts[0] if len(parts) > 1 else inspect.getmodulename(parts[0])
        if not top or not top.isidentifier():
            continue
        below = tops.setdefault(top, set())
        if len(parts) > 2 or (len(parts) == 2 and inspect.getmodulename(parts[1])):
            name = parts[1] if len(parts) > 2 else inspect.getmodulename(parts[1])
            if name and name.isidentifier():
                below.add(name)
    if not tops:
        for line in (dist.read_text("top_level.txt") or "").split():
            tops.setdefault(line.strip(), set())
    return tops


def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
