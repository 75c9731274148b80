"""The specification speaks policy, and asserts nothing only our emulators say.

Two rules, each with the reason it exists:

- **Policy, not plumbing.** A model-risk officer reads the features: they say "the monitoring
  service is briefly unavailable while we subscribe", not an HTTP verb, an API path, a status
  code, an AWS error code, a JSON path, a pydantic message, a file name, a ``"True"`` flag or
  how the test works ("expecting a refusal"). Those live in the step modules' tables. The
  first tests read every line of the features and fail on each such word, naming it.
- **No emulator-only sentences.** A feature that checks a sentence the emulator writes passes
  in mock and fails in live, where the real service words it differently (or not at all).
  Steps assert on states, error codes, counts, and on messages the library or the shipped use
  case writes. The last tests read every quoted message of the features, every string a step
  asserts is ``in`` something, and every expected message in the steps' ``*_REFUSALS``
  tables, and fail for each one found in the emulators' sources but nowhere in the library or
  a use case.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMULATORS = ROOT / "mlmonitor_lib" / "emulators"


# What a feature line must not hold, by what it is (a pattern finds it).
PLUMBING = {
    "an HTTP verb": r"\b(?:GET|POST|PUT|PATCH|DELETE|HEAD)\b",
    "an API path": r"(?:^|[\s(])/[A-Za-z0-9_{}.-]+",
    "an HTTP status code": r"\b[45]\d\d\b",
    "an HTTP term": r"\bHTTP\b|\bstatus code",
    "an AWS action or error code": (r"\b(?!SageMaker\b|OpenScale\b)"
                                    r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+\b"),
    "a JSON path": r"\$\.|\[\d+\]",
    "a pydantic message": r"(?i)field required|input should be|validation error|value_error|type=",
    "a quoted flag": r'"(?:True|False)"',
    "a programme identifier": r"\b[A-Za-z0-9]+_[A-Za-z0-9_]+\b",
    "a file name": r"\b[\w-]+\.(?:gz|json|py|csv|txt)\b|ubyte|idx\d",
    "test mechanics": r"(?i)\bexpecting\b|\bis measured\b|until it fails|\bmock|fixture"
                      r"|\bassert|\bemulat",
}
QUOTED = re.compile(r'"[^"]*"')


def plumbing_in(line: str) -> list[str]:
    """What ``line`` of a feature holds that is plumbing, as ``"kind: words"``; quoted names
    (a use case's folder) are names, not plumbing, but a quoted True or False is a flag."""
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "@")):
        return []
    found = [f"a quoted flag: {m}" for m in re.findall(PLUMBING["a quoted flag"], stripped)]
    unquoted = QUOTED.sub('""', stripped)
    for kind, pattern in PLUMBING.items():
        if kind != "a quoted flag":
            found += [f"{kind}: {m.group(0).strip()}" for m in re.finditer(pattern, unquoted)]
    return found


def _feature_lines() -> list[tuple[str, int, str]]:
    return [(feature.name, number, line)
            for feature in sorted((ROOT / "features").glob("*.feature"))
            for number, line in enumerate(feature.read_text(encoding="utf-8").splitlines(), 1)]


def test_features_speak_policy_not_plumbing() -> None:
    found = [f"{name}:{number}: {what}" for name, number, line in _feature_lines()
             for what in plumbing_in(line)]
    assert found == [], ("the features must read as policy; move these to the step modules' "
                         "tables:\n" + "\n".join(found))


PLUMBING_SAMPLES = {  # lines the features once held, each with what must be found in it
    'And the lifecycle shows trained "True", deployed "False"': "a quoted flag",
    "| Watson OpenScale | POST /v2/subscriptions | 503 | 2 |": "an HTTP verb",
    "Given Watson OpenScale answers every request to /v2/subscriptions": "an API path",
    "| AI Factsheets | PUT /model_stub | 429 | 2 |": "an HTTP status code",
    "| SageMaker | CreateEndpoint | ThrottlingException | 2 |": "an AWS action or error code",
    "| no problem type | $.signature.problem_type: Field required |": "a pydantic message",
    "| a threshold on an unknown metric | thresholds[0].metric_id |": "a JSON path",
    "| a minimum feedback size of zero | min_feedback_data_size |": "a programme identifier",
    '| t10k-images-idx3-ubyte.gz | truncated |': "a file name",
    "When the model is monitored expecting a refusal": "test mechanics",
    "And the response time is measured": "test mechanics",
    "Then the answer names the HTTP status": "an HTTP term",
}


def test_the_plumbing_check_finds_what_the_features_once_said() -> None:
    """Each kind of plumbing the features used to hold is caught (else the check above could
    pass by finding nothing), and the policy sentences that replaced them pass."""
    missed = {line: kind for line, kind in PLUMBING_SAMPLES.items()
              if not any(found.startswith(kind) for found in plumbing_in(line))}
    assert missed == {}
    for policy in ('Given the model use case "use_case_mnist_tf"',
                   "Given Watson OpenScale is briefly unavailable for our first 2 tries while "
                   "we subscribe",
                   "Then the model is recorded as trained and deployed, but not yet governed",
                   "When 2000 test images are scored",
                   "| a body over the 6 MB limit | the request is over the 6 MB limit |",
                   "Then it is refused, pointing the user to the problem type"):
        assert plumbing_in(policy) == [], policy


def _sources(*roots: Path, exclude: Path | None = None) -> str:
    texts = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if exclude is None or exclude not in path.parents:
                texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts).lower()


def _feature_messages() -> set[str]:
    """Quoted words in step lines, and the cells of every Examples column named message."""
    found: set[str] = set()
    for feature in sorted((ROOT / "features").glob("*.feature")):
        columns: list[str] = []
        for line in feature.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith("|"):
                cells = [cell.strip() for cell in stripped.strip("|").split("|")]
                if not columns:
                    columns = cells
                else:
                    found |= {cell for name, cell in zip(columns, cells, strict=False)
                              if name == "message"}
                continue
            columns = []
            found |= set(re.findall(r'"([^"<>]+)"', stripped))
    return found


def _asserted_literals() -> set[str]:
    """String literals a step asserts are ``in`` a value (``assert "x" in str(error)``)."""
    found: set[str] = set()
    for path in sorted((ROOT / "steps").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare) \
                    and any(isinstance(op, ast.In) for op in node.test.ops):
                left = node.test.left
                if isinstance(left, ast.Constant) and isinstance(left.value, str):
                    found.add(left.value)
                elif isinstance(left, ast.JoinedStr):  # an f-string: its fixed words
                    found |= {part.value.strip() for part in left.values
                              if isinstance(part, ast.Constant) and len(part.value.strip()) >= 6}
    return found


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)}


def _refusal_tables() -> set[str]:
    """Messages the steps expect, kept in module-level tables named ``*_REFUSALS`` (the
    feature's words -> what the refusal must say): every string among their values."""
    found: set[str] = set()
    for path in sorted((ROOT / "steps").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and any(
                    isinstance(t, ast.Name) and t.id.endswith("REFUSALS") for t in node.targets):
                for value in node.value.values:
                    found |= _strings(value)
    return found


def test_no_step_or_feature_asserts_a_message_only_an_emulator_writes() -> None:
    emulators = _sources(EMULATORS)
    elsewhere = _sources(ROOT / "mlmonitor_lib", exclude=EMULATORS) + _sources(
        *sorted(ROOT.glob("use_case_*")))
    words = {w for w in _feature_messages() | _asserted_literals() | _refusal_tables()
             if len(w) >= 3}
    only_emulated = sorted(w for w in words
                           if w.lower() in emulators and w.lower() not in elsewhere)
    assert only_emulated == [], (
        "these messages appear only in the emulators' sources: assert on states and error "
        f"codes, or on the library's own words: {only_emulated}")


def test_the_check_reads_the_specification() -> None:
    """The readers above find what the specification holds (else the test proves nothing)."""
    assert "use_case_mnist_tf" in _feature_messages()
    assert "no longer exists" in _asserted_literals()
    assert {"6 MiB", "not found", "$.signature.problem_type"} <= _refusal_tables()
    assert len(_refusal_tables()) > 10
