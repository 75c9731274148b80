"""The specification must not assert what only our emulators say.

Why: a feature that checks a sentence the emulator writes passes in mock and fails in live,
where the real service words it differently (or not at all). Steps assert on states, error
codes, counts, and on messages the library or the shipped use case writes. This test reads
every quoted message of the features and every string a step asserts is ``in`` something, and
fails for each one found in the emulators' sources but nowhere in the library or a use case.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMULATORS = ROOT / "mlmonitor_lib" / "emulators"


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


def test_no_step_or_feature_asserts_a_message_only_an_emulator_writes() -> None:
    emulators = _sources(EMULATORS)
    elsewhere = _sources(ROOT / "mlmonitor_lib", exclude=EMULATORS) + _sources(
        *sorted(ROOT.glob("use_case_*")))
    words = {w for w in _feature_messages() | _asserted_literals() if len(w) >= 3}
    only_emulated = sorted(w for w in words
                           if w.lower() in emulators and w.lower() not in elsewhere)
    assert only_emulated == [], (
        "these messages appear only in the emulators' sources: assert on states and error "
        f"codes, or on the library's own words: {only_emulated}")


def test_the_check_reads_the_specification() -> None:
    """The readers above find what the specification holds (else the test proves nothing)."""
    assert "use_case_mnist_tf" in _feature_messages()
    assert "no longer exists" in _feature_messages()
    assert len(_feature_messages()) > 10
