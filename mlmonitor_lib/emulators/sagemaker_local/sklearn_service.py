"""The SageMaker scikit-learn container's serving stack, run by the emulator in the image's Python.

A single-model endpoint of ``sagemaker-scikit-learn`` runs ``serve`` =
``sagemaker_sklearn_container.serving:serving_entrypoint``, which starts gunicorn on the WSGI
app ``sagemaker_sklearn_container.serving:main`` (sagemaker-containers' ``_server.start``;
multi-model endpoints use MMS instead, not emulated). Sources, each read at the commit named:

* aws/sagemaker-scikit-learn-container ``src/sagemaker_sklearn_container/serving.py`` and
  ``exceptions.py`` @ eae7b6b1eea5263fa3bd0584d896a55921aa4826 (the wheel the 1.9-0 image
  installs): ``main`` builds the app on the first request (``/ping`` included) by importing the
  user module ``SAGEMAKER_PROGRAM`` and loading the model; the scikit-learn defaults
  ``default_input_fn`` (decode, then ``float32`` for the UTF-8 types), ``default_predict_fn``
  (``model.predict``), ``default_output_fn`` (encode to the Accept type); ``model_fn`` has no
  default (``NotImplementedError``); ``transform_fn`` with any of the three is a ``UserError``;
* aws/sagemaker-containers ``src/sagemaker_containers/_transformer.py``, ``_worker.py``,
  ``_encoders.py``, ``_content_types.py``, ``_errors.py``, ``_functions.py``, ``_modules.py``
  @ tag v2.8.6.post2 (150ff4674b268a4c6f9518aefa767892c50e1e94, the version uv.lock pins):
  every user function is wrapped so its exceptions become ``ClientError``; the request's
  content type is ``ContentType`` or ``Content-Type`` or ``application/json``, the Accept
  ``Accept`` unless absent or ``*/*`` (then ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT``, default
  ``application/json``); the body is text for ``application/json`` and ``text/csv``, bytes
  otherwise; encoders and decoders for ``application/json``, ``text/csv``,
  ``application/x-npy``; an ``UnsupportedFormatError`` escaping an *unwrapped* ``input_fn`` or
  ``output_fn`` answers 415 or 406 with ``{"error", "error-message", "stack-trace"}``. The
  scikit-learn container passes its own defaults, which get wrapped too, so an unsupported
  content type reaches Flask as a ``ClientError``: 500;
* Flask and Werkzeug themselves (both in the image): the ``Worker`` app is a real
  ``flask.Flask`` here, so error pages, status codes and ``Content-Type`` (``text/csv;
  charset=utf-8``) are Flask's;
* gunicorn ``gunicorn/util.py`` ``write_error`` and ``workers/base.py`` ``handle_error``: an
  exception escaping ``main`` is logged ("Error handling request ...") and answered 500 with
  gunicorn's HTML page.

The exception classes carry the module names of the originals so the container log's lines
read as on AWS (``sagemaker_containers._errors.ImportModuleError: No module named 'x'``).

Differences, all outside the handler's reach: werkzeug's threaded server stands in for gunicorn
(gevent) behind nginx; the user module is imported from the code directory put first on the
path instead of being ``pip install``-ed there (the emulator resolves ``requirements.txt``
against the image, :mod:`.images`).

    python -I -S -u imageguard.py SPEC -- sklearn_service.py   (environment: see ``main``)

Prints ``listening <port>`` on stdout once it serves; exits when its stdin closes.
"""

from __future__ import annotations

import csv
import html
import importlib
import io
import json
import logging
import os
import sys
import textwrap
import threading
import traceback
from typing import Any

import flask  # in the image, as in the real container
import numpy as np
from werkzeug.serving import make_server

JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"
ANY = "*/*"
UTF8_TYPES = [JSON, CSV]
log = logging.getLogger("gunicorn.error")


# sagemaker_containers._errors and sagemaker_sklearn_container.exceptions ---------------------
class ClientError(Exception):
    """Error class used to separate framework and user errors."""


ClientError.__module__ = "sagemaker_containers._errors"


class ImportModuleError(ClientError):
    """Error class indicating a module failed to import."""


ImportModuleError.__module__ = "sagemaker_containers._errors"


class UnsupportedFormatError(Exception):
    """Error class indicating a content type is not supported by the current framework."""

    def __init__(self, content_type: str) -> None:
        self.message = textwrap.dedent(
            f"""Content type {content_type} is not supported by this framework.

            Please implement input_fn to to deserialize the request data or an output_fn to
            serialize the response. For more information, see the SageMaker Python SDK README."""
        )
        super().__init__(self.message)


UnsupportedFormatError.__module__ = "sagemaker_containers._errors"


class UserError(Exception):
    """sagemaker_sklearn_container.exceptions.UserError (no ``caused_by`` used here)."""


UserError.__module__ = "sagemaker_sklearn_container.exceptions"


def error_wrapper(fn: Any, error_class: type[Exception]) -> Any:
    """_functions.error_wrapper: any exception of ``fn`` re-raised as ``error_class(e)``."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - the container wraps everything, as here
            raise error_class(e).with_traceback(sys.exc_info()[2])  # noqa: B904 - six.reraise

    return wrapper


# sagemaker_containers._encoders ---------------------------------------------------------------
def array_to_npy(array_like: Any) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array_like)
    return buffer.getvalue()


def npy_to_numpy(npy_array: bytes) -> Any:
    # allow_pickle=True as in sagemaker-containers 2.8.6.post2 (the DLC's CWE-502 patch is for
    # sagemaker_inference's decoder, which only multi-model endpoints use)
    return np.load(io.BytesIO(npy_array), allow_pickle=True)


def array_to_json(array_like: Any) -> str:
    def default(_array_like: Any) -> Any:
        if hasattr(_array_like, "tolist"):
            return _array_like.tolist()
        return json.JSONEncoder().default(_array_like)

    return json.dumps(array_like, default=default)


def json_to_numpy(string_like: str, dtype: Any = None) -> Any:
    return np.array(json.loads(string_like), dtype=dtype)


def csv_to_numpy(string_like: str, dtype: Any = None) -> Any:
    try:
        stream = io.StringIO(string_like)
        reader = csv.reader(stream, delimiter=",", quotechar='"', doublequote=True, strict=True)
        array = np.array([row for row in reader]).squeeze()
        array = array.astype(dtype)
    except ValueError as e:
        if dtype is not None:
            raise ClientError(
                f"Error while writing numpy array: {e}. dtype is: {dtype}") from None
    except Exception as e:  # noqa: BLE001 - as the original
        raise ClientError(f"Error while decoding csv: {e}") from None
    return array


def array_to_csv(array_like: Any) -> str:
    array = np.array(array_like)
    if len(array.shape) == 1:
        array = np.reshape(array, (array.shape[0], 1))
    try:
        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator="\n", delimiter=",", quotechar='"',
                            doublequote=True, strict=True)
        writer.writerows(array)
        return stream.getvalue()
    except csv.Error as e:
        raise ClientError(f"Error while encoding csv: {e}") from None


_ENCODERS = {NPY: array_to_npy, CSV: array_to_csv, JSON: array_to_json}
_DECODERS = {NPY: npy_to_numpy, CSV: csv_to_numpy, JSON: json_to_numpy}


def decode(obj: Any, content_type: str) -> Any:
    return _convert(_DECODERS, obj, content_type)


def encode(array_like: Any, content_type: str) -> Any:
    return _convert(_ENCODERS, array_like, content_type)


def _convert(table: dict[str, Any], obj: Any, content_type: str) -> Any:
    """_encoders.decode/encode: the converter of ``content_type``, else UnsupportedFormatError."""
    try:
        converter = table[content_type]
    except KeyError:
        raise UnsupportedFormatError(content_type) from None
    return converter(obj)


# sagemaker_sklearn_container.serving's defaults --------------------------------------------
def default_model_fn(model_dir: str) -> Any:
    raise NotImplementedError(textwrap.dedent("""
    Please provide a model_fn implementation.
    See documentation for model_fn at https://github.com/aws/sagemaker-python-sdk
    """))


def default_input_fn(input_data: Any, content_type: str) -> Any:
    np_array = decode(input_data, content_type)
    return np_array.astype(np.float32) if content_type in UTF8_TYPES else np_array


def default_predict_fn(input_data: Any, model: Any) -> Any:
    return model.predict(input_data)


def default_output_fn(prediction: Any, accept: str) -> flask.Response:
    return Response(encode(prediction, accept), mimetype=accept)


class Response(flask.Response):
    """_worker.Response: JSON unless told otherwise."""

    default_mimetype = JSON


# sagemaker_containers._transformer.Transformer ------------------------------------------------
class Transformer:
    """The user's functions, each wrapped in ``ClientError``, around the request."""

    def __init__(self, model_fn: Any, input_fn: Any = None, predict_fn: Any = None,
                 output_fn: Any = None, transform_fn: Any = None) -> None:
        self._model = None
        self._model_fn = error_wrapper(model_fn, ClientError) if model_fn else default_model_fn
        if transform_fn and (input_fn or predict_fn or output_fn):
            raise ValueError("Cannot use transform_fn implementation with input_fn, predict_fn, "
                             "and/or output_fn")
        self._transform_fn = (error_wrapper(transform_fn, ClientError) if transform_fn
                              else self._default_transform_fn)
        self._input_fn = error_wrapper(input_fn, ClientError) if input_fn else default_input_fn
        self._predict_fn = (error_wrapper(predict_fn, ClientError) if predict_fn
                            else default_predict_fn)
        self._output_fn = (error_wrapper(output_fn, ClientError) if output_fn
                           else default_output_fn)

    def initialize(self, model_dir: str) -> None:
        self._model = self._model_fn(model_dir)

    def transform(self, default_accept: str) -> Any:
        request = flask.request
        content_type = (request.headers.get("ContentType") or request.headers.get("Content-Type")
                        or JSON)
        accept = request.headers.get("Accept")
        if not accept or accept == ANY:
            accept = default_accept
        content = request.get_data(as_text=content_type in UTF8_TYPES)
        result = self._transform_fn(self._model, content, content_type, accept)
        if isinstance(result, tuple):
            return Response(response=result[0], mimetype=result[1])
        return result

    def _default_transform_fn(self, model: Any, content: Any, content_type: str,
                              accept: str) -> Any:
        try:
            data = self._input_fn(content, content_type)
        except UnsupportedFormatError as e:
            return self._error_response(e, 415)
        prediction = self._predict_fn(data, model)
        try:
            return self._output_fn(prediction, accept)
        except UnsupportedFormatError as e:
            return self._error_response(e, 406)

    @staticmethod
    def _error_response(error: Exception, status_code: int) -> Response:
        body = json.dumps({"error": error.__class__.__name__, "error-message": str(error),
                           "stack-trace": traceback.format_exc()})
        return Response(response=body, status=status_code, mimetype=JSON)


def user_module_transformer(user_module: Any) -> Transformer:
    """serving._user_module_transformer."""
    model_fn = getattr(user_module, "model_fn", default_model_fn)
    input_fn = getattr(user_module, "input_fn", None)
    predict_fn = getattr(user_module, "predict_fn", None)
    output_fn = getattr(user_module, "output_fn", None)
    transform_fn = getattr(user_module, "transform_fn", None)
    if transform_fn and (input_fn or predict_fn or output_fn):
        raise UserError("Cannot use transform_fn implementation with input_fn, predict_fn, "
                        "and/or output_fn")
    if transform_fn is not None:
        return Transformer(model_fn=model_fn, transform_fn=transform_fn)
    return Transformer(model_fn=model_fn, input_fn=input_fn or default_input_fn,
                       predict_fn=predict_fn or default_predict_fn,
                       output_fn=output_fn or default_output_fn)


def import_user_module(module_name: str | None) -> Any:
    """serving.import_module + _modules.import_module: an ImportError becomes
    ``ImportModuleError``; ``None`` (no ``SAGEMAKER_PROGRAM``) fails as ``importlib`` does."""
    try:
        return importlib.import_module(module_name)  # type: ignore[arg-type]
    except ImportError as e:
        raise ImportModuleError(e) from e


def _module_name(program: str | None) -> str | None:
    """_env._parse_module_name: ``inference.py`` -> ``inference``."""
    if program and program.endswith(".py"):
        return program[:-3]
    return program


# sagemaker_containers._worker.Worker and serving.main ---------------------------------------
def worker(transformer: Transformer, module_name: str, default_accept: str) -> flask.Flask:
    app = flask.Flask(module_name)
    app.add_url_rule("/invocations", "invocations",
                     lambda: transformer.transform(default_accept), methods=["POST"])
    app.add_url_rule("/ping", "ping", lambda: Response(status=200))
    return app


class Main:
    """``serving.main``: the WSGI app gunicorn runs; the Flask app is built on the first request
    (again on the next one if building failed), and an exception escaping it is gunicorn's."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.module_name = _module_name(environ.get("SAGEMAKER_PROGRAM"))
        self.model_dir = environ.get("SM_MODEL_DIR", "/opt/ml/model")
        self.default_accept = environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", JSON)
        self.app: flask.Flask | None = None
        self._lock = threading.Lock()

    def _build(self) -> flask.Flask:
        with self._lock:
            if self.app is None:
                transformer = user_module_transformer(import_user_module(self.module_name))
                transformer.initialize(self.model_dir)
                self.app = worker(transformer, self.module_name or "", self.default_accept)
            return self.app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        try:
            app = self._build()
        except Exception:  # noqa: BLE001 - gunicorn's handle_error
            log.exception("Error handling request %s", environ.get("PATH_INFO", ""))
            return _gunicorn_error(start_response)
        return app(environ, start_response)


def _gunicorn_error(start_response: Any) -> list[bytes]:
    """gunicorn ``util.write_error(sock, 500, "Internal Server Error", "")``."""
    reason = "Internal Server Error"
    page = textwrap.dedent("""\
    <html>
      <head>
        <title>%(reason)s</title>
      </head>
      <body>
        <h1><p>%(reason)s</p></h1>
        %(mesg)s
      </body>
    </html>
    """) % {"reason": reason, "mesg": html.escape("")}
    body = page.encode("latin1")
    start_response(f"500 {reason}", [("Connection", "close"), ("Content-Type", "text/html"),
                                      ("Content-Length", str(len(body)))])
    return [body]


def _exit_when_stdin_closes() -> None:
    sys.stdin.buffer.read()
    os._exit(0)


def main() -> None:
    """Environment: the model's (``SAGEMAKER_PROGRAM``, ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT``
    ...) and the image's ``SM_MODEL_DIR``; the code directory is first on the path."""
    logging.basicConfig(format="[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s",
                        level=logging.INFO, stream=sys.stderr)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # nginx's access log: not emulated
    server = make_server("127.0.0.1", 0, Main(dict(os.environ)), threaded=True)
    threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    print(f"listening {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
