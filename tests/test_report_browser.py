"""The onboarding report as a reader sees it: opened from disk in headless Chromium with every
network lookup refused, it shows the title, the release gate verdict and its images.

Only Debian's ``chromium`` package is used (``.ci/run`` installs it); never a browser a test tool
downloads. Where none is installed the test is skipped, saying how to install one.

Two looks at the page: ``--dump-dom`` gives the DOM after pytest-html's script ran (title,
verdict, the evidence it inserted), and ``--screenshot`` proves the pixels: the verdict's banner
colour covers a band, the confusion matrix's darkest blue is on screen, and the MNIST-like
samples (white strokes on black) paint their black squares. A broken image paints none of these.
"""

from __future__ import annotations

import importlib.util
import io
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

pytest_plugins = ["pytester"]

HERE = Path(__file__).resolve().parent
TIMEOUT = 180  # seconds; a loaded CI machine starts Chromium slowly
WIDTH, HEIGHT = 1280, 3200
VERDICT_FAILED_BG = (0xFB, 0xE3, 0xE4)  # mlmonitor_lib.report.html_base.RED_BG
BLUES_DARKEST = (8, 48, 107)  # matplotlib "Blues" at its maximum: the matrix's diagonal


def _chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        pytest.skip(
            "headless Chromium is not installed, so the report is not checked in a browser; "
            "install Debian's package: apt-get install chromium"
        )
    return found


def _demo() -> ModuleType:
    """The demo feature and its report run, shared with tests/test_report.py."""
    spec = importlib.util.spec_from_file_location("_report_demo", HERE / "test_report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _browse(browser: str, profile: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}",
        # offline proof: any host name the page might try to load from fails to resolve
        "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars",
        "--run-all-compositor-stages-before-draw", "--virtual-time-budget=10000",
        *args, url,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"Chromium did not finish within {TIMEOUT} s: {' '.join(command)}")
    assert done.returncode == 0, f"Chromium failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done


def _count_close(pixels: np.ndarray, colour: tuple[int, int, int], tolerance: int) -> int:
    """How many RGB pixels are within ``tolerance`` of ``colour`` on every channel."""
    return int((np.abs(pixels - np.asarray(colour)) <= tolerance).all(axis=1).sum())


@pytest.mark.slow
def test_report_opens_offline_in_chromium_with_verdict_and_images(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    browser = _chromium()
    demo = _demo()
    report, _ = demo.run_demo(pytester, monkeypatch)
    # every test's details expanded (pytest-html folds passed ones by default)
    url = report.as_uri() + "?collapsed="

    dom = _browse(browser, tmp_path / "profile-dom", url, "--dump-dom").stdout
    assert f'<title id="head-title">{demo.TITLE}</title>' in dom
    assert 'class="gate-verdict gate-failed"' in dom
    assert "Release gate: <span class=\"gate-word\">FAILED</span>" in dom
    # pytest-html's script inserted the evidence into the results table: it ran offline
    assert dom.count('class="bdd-step step-') == 6
    assert 'class="metrics-table"' in dom and '<tr class="breach"' in dom
    assert dom.count("data:image/png;base64,") >= 17

    shot = tmp_path / "report.png"
    _browse(
        browser, tmp_path / "profile-shot", url,
        f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={shot}",
    )
    from PIL import Image

    with Image.open(io.BytesIO(shot.read_bytes())) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int16).reshape(-1, 3)
    assert len(np.unique(pixels[::97], axis=0)) > 50, "the screenshot is (nearly) uniform"
    verdict = _count_close(pixels, VERDICT_FAILED_BG, 2)
    assert verdict > 20_000, f"the failed verdict's banner covers only {verdict} pixels"
    blues = _count_close(pixels, BLUES_DARKEST, 10)
    assert blues > 2_000, f"the confusion matrix did not render ({blues} dark blue pixels)"
    black = _count_close(pixels, (0, 0, 0), 7)
    # 16 samples of 84×84 mostly black pixels; text alone paints far fewer
    assert black > 16 * 84 * 84 // 2, f"the sample images did not render ({black} black pixels)"
