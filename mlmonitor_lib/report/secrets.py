"""Keep credentials out of reports: the report is forwarded to people outside the team, so a
secret that reaches it has leaked.

Two layers: the environment table is built without secret-named entries (and without any entry
whose value embeds a secret, e.g. a CI URL carrying a token), and the finished report files are
scrubbed of every known secret value, which also covers secrets echoed into captured logs.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSW(?:OR)?D|CREDENTIAL|PRIVATE", re.IGNORECASE)
MASK = "\u2593" * 8
# Shorter values ("1", "true") would mask innocent text all over the report.
MIN_SECRET_LENGTH = 6


def is_secret_name(name: str) -> bool:
    """Whether a variable or metadata key names something that must not be shown."""
    return bool(SECRET_NAME.search(name))


def secret_values(environ: Mapping[str, str] | None = None, *, settings: bool = True) -> set[str]:
    """Values of secret-named environment variables, plus the secrets :class:`Settings` loads
    from ``.env`` or the credentials file (they never pass through the environment)."""
    env = os.environ if environ is None else environ
    found = {v for k, v in env.items() if is_secret_name(k) and len(v) >= MIN_SECRET_LENGTH}
    if settings:
        found |= {v for v in _settings_secrets() if len(v) >= MIN_SECRET_LENGTH}
    return found


def _settings_secrets() -> list[str]:
    try:
        from mlmonitor_lib.settings import Settings

        return Settings.load().secret_values()
    except Exception:  # noqa: BLE001 - a broken settings file must not stop the report
        return []


def _mentions(value: Any, secrets: Iterable[str]) -> bool:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return any(secret in text for secret in secrets)


def scrub_metadata(metadata: dict[str, Any], secrets: Iterable[str]) -> list[str]:
    """Remove, in place and recursively, entries with a secret-looking name or a value that
    contains a secret; returns the removed keys (names only, for a log line)."""
    secrets = [s for s in secrets if s]
    removed = []
    for key in list(metadata):
        value = metadata[key]
        if is_secret_name(str(key)):
            del metadata[key]
            removed.append(str(key))
        elif isinstance(value, dict):
            removed += [f"{key}.{k}" for k in scrub_metadata(value, secrets)]
        elif _mentions(value, secrets):
            del metadata[key]
            removed.append(str(key))
    return removed


def _spellings(secret: str) -> list[str]:
    """How a value can appear in a report: raw, HTML-escaped, JSON-escaped, and both (pytest-html
    HTML-escapes logs, JSON-encodes the test data, then HTML-escapes that into an attribute)."""
    as_json = json.dumps(secret)[1:-1]
    forms = {
        secret,
        html.escape(secret),
        as_json,
        html.escape(as_json),
        html.escape(json.dumps(html.escape(secret))[1:-1]),
    }
    return sorted(forms, key=len, reverse=True)


def scrub_text(text: str, secrets: Iterable[str]) -> tuple[str, int]:
    """``text`` with every spelling of every secret masked, and how many were masked."""
    count = 0
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        for form in _spellings(secret):
            hits = text.count(form)
            if hits:
                text = text.replace(form, MASK)
                count += hits
    return text, count


def scrub_file(path: Path, secrets: Iterable[str]) -> int:
    """Mask secrets in a written report file; returns how many were masked (0: unchanged)."""
    if not path.is_file():
        return 0
    original = path.read_text(encoding="utf-8")
    cleaned, count = scrub_text(original, secrets)
    if count:
        tmp = path.with_name(path.name + ".scrub")
        tmp.write_text(cleaned, encoding="utf-8")
        os.replace(tmp, path)
    return count
