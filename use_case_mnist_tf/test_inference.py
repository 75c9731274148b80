"""Score two t10k images with the locally trained model, as the seed's ``test_inference.py``.

    python use_case_mnist_tf/test_inference.py --model_type tf-cnn [--count N]

Chains what the SageMaker TF Serving container chains, in-process: ``input_handler`` (the
request as OpenScale sends it) -> the SavedModel's ``serving_default`` signature on the
request's ``instances`` (what TF Serving runs) -> ``output_handler``, and prints the response
body. Train first with
``test_train.py`` (artefacts in ``<repo>/models/``). Not a pytest test: a script.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections import namedtuple
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

Context = namedtuple(
    "Context",
    "model_name model_version method rest_uri grpc_port channel custom_attributes "
    "request_content_type accept_header content_length",
)


def main(argv: list[str] | None = None) -> int:
    """Load the SavedModel, run two images through the handlers, print the JSON response."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model_type", choices=["tf-cnn"], default="tf-cnn")
    parser.add_argument("--count", type=int, default=2, help="t10k images to score")
    parser.add_argument("--model-dir", type=Path, default=REPO / "models")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("MLMONITOR_DATA_DIR",
                                                    REPO / "datasets" / "mnist")))
    args = parser.parse_args(argv)

    sys.path.insert(0, str(HERE))
    import inference
    import tf_cnn_data
    import tf_cnn_model

    versions = sorted((p for p in args.model_dir.iterdir() if p.name.isdigit()),
                      key=lambda p: int(p.name)) if args.model_dir.is_dir() else []
    if not versions:
        print(f"no SavedModel version directory in {args.model_dir}: run test_train.py first",
              file=sys.stderr)
        return 1
    x_test, _ = tf_cnn_data.load_split(args.data_dir, tf_cnn_data.TEST_IMAGES,
                                       tf_cnn_data.TEST_LABELS)
    batch = x_test[: args.count].reshape(args.count, -1)
    context = Context(args.model_type, versions[-1].name, "predict", "", 0, None, None,
                      "application/json", "application/json", 0)
    body = json.dumps({"input_data": [{"values": batch.tolist()}]}).encode("utf-8")

    import tensorflow as tf

    request = json.loads(inference.input_handler(io.BytesIO(body), context))
    serving = tf.saved_model.load(str(versions[-1])).signatures["serving_default"]
    outputs = serving(**{tf_cnn_model.INPUT_NAME: tf.constant(request["instances"],
                                                              dtype=tf.float32)})
    predictions = next(iter(outputs.values())).numpy().tolist()
    response = SimpleNamespace(status_code=200,  # TF Serving's answer to {"instances": ...}
                               content=json.dumps({"predictions": predictions}).encode("utf-8"))
    out_body, _ = inference.output_handler(response, context)
    print(out_body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
