"""Score a few test.csv rows with the locally trained model (a script, not a pytest test).

    python use_case_gcr/test_inference.py [--count N] [--content-type text/csv|application/json]

Chains what the SageMaker scikit-learn container chains, in-process: ``model_fn`` on
``<repo>/models/gcr`` (train first with ``test_train.py``), then ``input_fn`` on the request
as OpenScale sends it (``text/csv`` rows of the 9 features, no header, no label) or in the
``{"instances": [{"features": [...]}]}`` JSON form, ``predict_fn``, ``output_fn``; prints the
response body and the true labels.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def main(argv: list[str] | None = None) -> int:
    """Load the model, score the first ``--count`` test rows, print the JSON response."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2, help="test.csv rows to score")
    parser.add_argument("--content-type", choices=["text/csv", "application/json"],
                        default="text/csv")
    parser.add_argument("--model-dir", type=Path, default=REPO / "models" / "gcr")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("MLMONITOR_DATA_DIR",
                                                    REPO / "datasets" / "german_credit")))
    args = parser.parse_args(argv)

    sys.path.insert(0, str(HERE))
    import inference
    from gcr_features import FEATURE_COLUMNS, LABEL_COLUMN, NUMERIC_COLUMNS

    if not (args.model_dir / inference.MODEL_FILE).is_file():
        print(f"no {inference.MODEL_FILE} in {args.model_dir}: run test_train.py first",
              file=sys.stderr)
        return 1
    with open(args.data_dir / "test.csv", newline="", encoding="utf-8") as file:
        records = list(csv.DictReader(file))[: args.count]
    rows = [[record[column] for column in FEATURE_COLUMNS] for record in records]
    if args.content_type == "text/csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        body = buffer.getvalue()
    else:
        typed = [[int(record[c]) if c in NUMERIC_COLUMNS else record[c] for c in FEATURE_COLUMNS]
                 for record in records]  # the data set's numbers are all integers
        body = json.dumps({"instances": [{"features": row} for row in typed]})

    model = inference.model_fn(str(args.model_dir))
    data = inference.input_fn(body, args.content_type)
    answer, content_type = inference.output_fn(inference.predict_fn(data, model),
                                               "application/json")
    print(f"request ({args.content_type}):\n{body}")
    print(f"response ({content_type}): {answer}")
    print(f"true labels ({LABEL_COLUMN}): {[int(record[LABEL_COLUMN]) for record in records]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
