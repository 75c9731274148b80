"""The state file is the ledger: atomic, complete, loadable by another process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mlmonitor_lib.errors import StateError
from mlmonitor_lib.state import LifecycleState, StateStore


@pytest.fixture
def store(tmp_path) -> StateStore:
    return StateStore.create(tmp_path / "run.json", LifecycleState(run_id="r1", source_dir="uc"))


def test_every_change_is_on_disk_at_once(store):
    store.record("serving", "endpoint", "ep-1", arn="arn:ep")
    store.update(deployed=True, endpoint_name="ep-1")
    on_disk = json.loads(store.path.read_text())
    assert on_disk["deployed"] is True
    assert on_disk["resources"][0]["id"] == "ep-1"


def test_record_is_idempotent_and_forget_marks_deleted(store):
    store.record("wos", "subscription", "s1")
    store.record("wos", "subscription", "s1", status="active")
    assert len(store.state.resources) == 1
    store.forget("wos", "subscription", "s1")
    assert store.alive() == []
    assert StateStore.load(store.path).state.resources[0].deleted_at is not None


def test_alive_lists_newest_first(store):
    for name in ("model", "config", "endpoint"):
        store.record("serving", name, name)
    assert [r.id for r in store.alive("serving")] == ["endpoint", "config", "model"]


def test_an_observer_sees_each_record_once_it_is_on_disk(store):
    seen = []

    def observer(resource):
        on_disk = json.loads(store.path.read_text())["resources"]
        seen.append((resource.kind, resource.id, dict(resource.attrs), len(on_disk)))

    store.observe(observer)
    store.record("wos", "monitor_instance", "m1", monitor="quality")
    store.record("wos", "monitor_instance", "m1", status="active")
    assert seen == [("monitor_instance", "m1", {"monitor": "quality"}, 1),
                    ("monitor_instance", "m1", {"monitor": "quality", "status": "active"}, 1)]


def test_another_process_reads_the_same_state(store):
    store.update(trained=True, model_data="s3://b/k/model.tar.gz")
    code = (
        "from mlmonitor_lib.state import StateStore; import sys;"
        "print(StateStore.load(sys.argv[1]).state.model_data)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(store.path)], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "s3://b/k/model.tar.gz"


def test_failed_write_keeps_the_previous_file(store, monkeypatch):
    store.update(trained=True)
    before = store.path.read_text()
    monkeypatch.setattr("os.replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        store.update(deployed=True)
    assert store.path.read_text() == before
    assert [p.name for p in store.path.parent.iterdir()] == ["run.json"]


def test_corrupt_or_missing_state_file_is_named(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"run_id": 3}')
    with pytest.raises(StateError, match="bad.json is not a valid lifecycle state"):
        StateStore.load(bad)
    with pytest.raises(StateError, match="does not exist"):
        StateStore.load(tmp_path / "none.json")


def test_unknown_field_is_refused(store):
    with pytest.raises(StateError, match="unknown lifecycle state field"):
        store.update(trainde=True)


def test_state_show_lists_flags_and_live_resources(tmp_path, capsys):
    from pathlib import Path

    from mlmonitor_lib.cli import main

    use_case_dir = Path(__file__).resolve().parents[1] / "use_case_mnist_tf"
    store = StateStore.create(tmp_path / "run.json",
                              LifecycleState(run_id="r1", source_dir=str(use_case_dir)))
    store.record("serving", "endpoint", "ep-1")
    store.record("wos", "subscription", "sub-1")
    store.forget("wos", "subscription", "sub-1")
    store.update(trained=True, deployed=True)
    assert main(["state", "show", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert "1 resource(s) alive:" in out and "serving endpoint ep-1" in out
    assert "sub-1" not in out


def test_state_commands_name_a_missing_state_file(tmp_path, capsys):
    from mlmonitor_lib.cli import main

    missing = tmp_path / "nowhere.json"
    assert main(["state", "cleanup", str(missing)]) == 1
    err = capsys.readouterr().err
    assert str(missing) in err and "does not exist" in err
