"""The SageMaker scikit-learn serving container: the user's module behind the image's Flask app.

What the real container does before its server answers (aws/sagemaker-containers
``src/sagemaker_containers/_server.py`` ``start``, ``_modules.py`` ``import_module`` and
``_files.py`` ``download_and_extract`` @ tag v2.8.6.post2; ``_env.py`` ``ServingEnv``): the user
module is ``SAGEMAKER_PROGRAM`` of the model's environment (``inference.py`` -> ``inference``);
its code comes from ``SAGEMAKER_SUBMIT_DIRECTORY`` (default ``/opt/ml/code``): an ``s3://``
tar.gz is downloaded and extracted into ``/opt/ml/code``, a directory of the container (the SDK's
repacked model sets ``/opt/ml/model/code``) is copied there, a tar.gz file in it extracted
there; then ``pip install . -r requirements.txt`` in that directory. The SDK's ``SKLearnModel``
sets both variables.

Here: the code directory is ``<endpoint>/code``, a path in the container is read from the
extracted model (``/opt/ml/model`` is the artifact), ``requirements.txt`` is resolved against the
image's manifest (:func:`.images.import_spec`: network isolation and packages not installed
here refuse), and the server is :mod:`.sklearn_service` in a child interpreter that can import
only what the ``sagemaker-scikit-learn`` image holds (:mod:`.imageguard`). The endpoint is
``InService`` once ``GET /ping`` answers 200; the first request imports the module and calls
``model_fn``, so a module that cannot be imported or a model that cannot be loaded fails the
ping and the endpoint ends ``Failed`` with the container log's last error line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlmonitor_lib.emulators.sagemaker_local.container import (
    ModelLoadError,
    ServingContainer,
    _service_port,
)
from mlmonitor_lib.emulators.sagemaker_local.images import (
    ImageError,
    ImageManifest,
    guarded_command,
    import_spec,
)
from mlmonitor_lib.emulators.sagemaker_local.s3io import download_and_extract

SERVICE = Path(__file__).resolve().with_name("sklearn_service.py")
CONTAINER_MODEL_DIR = "/opt/ml/model"
CONTAINER_CODE_DIR = "/opt/ml/code"


class SKLearnServingContainer(ServingContainer):
    """A model served as the scikit-learn container serves it; :meth:`close` stops it.

    Shares the Python-service plumbing of :class:`~.container.ServingContainer` (requests to
    the service, ``/ping``, the container log, ``close``); there is no TF Serving.
    """

    def __init__(self, model_dir: Path, model: Mapping[str, Any], manifest: ImageManifest,
                 s3: Any) -> None:
        """``model`` is the model's DescribeModel answer (image, environment, isolation)."""
        self.model_dir = Path(model_dir)
        primary = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
        self.image = str(primary.get("Image") or "")
        self.environment = dict(primary.get("Environment") or {})
        self.network_isolation = bool(model.get("EnableNetworkIsolation"))
        self.log_path = self.model_dir.parent / "container.log"
        self.code_dir = self.model_dir.parent / "code"
        self.rest_uri = ""
        self._service: subprocess.Popen[bytes] | None = None
        self._server = None
        self._local = threading.local()
        self.manifest = manifest
        self._prepare_code(s3)
        requirements = self.code_dir / "requirements.txt"
        try:
            spec = import_spec(manifest, [self.code_dir],
                               requirements if requirements.is_file() else None,
                               self.network_isolation)
        except ImageError as exc:
            raise ModelLoadError(str(exc)) from exc
        try:
            service = self._spawn(spec.write(self.model_dir.parent / "imports.json"))
            self._port = _service_port(service, self.last_error)
            self._ping()
        except BaseException:
            self.close()
            raise

    def _prepare_code(self, s3: Any) -> None:
        """``_files.download_and_extract(SAGEMAKER_SUBMIT_DIRECTORY, /opt/ml/code)``."""
        uri = self.environment.get("SAGEMAKER_SUBMIT_DIRECTORY", CONTAINER_CODE_DIR)
        self.code_dir.mkdir(parents=True, exist_ok=True)
        if uri.startswith("s3://"):
            try:
                download_and_extract(s3, uri, self.code_dir)
            except Exception as exc:
                raise ModelLoadError(f"cannot download SAGEMAKER_SUBMIT_DIRECTORY {uri}: {exc}"
                                     ) from exc
            return
        if uri.rstrip("/") == CONTAINER_CODE_DIR:
            return  # the code directory itself: nothing to copy (it stays empty)
        local = self._in_container(uri)
        if local is not None and local.is_dir():
            shutil.rmtree(self.code_dir)
            shutil.copytree(local, self.code_dir)
        elif local is not None and local.is_file() and tarfile.is_tarfile(local):
            with tarfile.open(local, mode="r:gz") as archive:
                archive.extractall(self.code_dir, filter="data")
        else:  # shutil.copy2 of a path the container lacks
            raise ModelLoadError(
                f"FileNotFoundError: [Errno 2] No such file or directory: {uri!r}")

    def _in_container(self, path: str) -> Path | None:
        """A container path under ``/opt/ml/model`` as a path of the extracted artifact."""
        clean = os.path.normpath(path)
        if clean == CONTAINER_MODEL_DIR or clean.startswith(CONTAINER_MODEL_DIR + "/"):
            return self.model_dir / os.path.relpath(clean, CONTAINER_MODEL_DIR)
        return None

    def _spawn(self, spec: Path) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.update(self.environment)
        env.update({"SM_MODEL_DIR": str(self.model_dir),  # the image's ENV, our tree
                    "SAGEMAKER_SKLEARN_VERSION": self.manifest.version})
        return self._popen(guarded_command(spec, SERVICE), self.code_dir, env)
