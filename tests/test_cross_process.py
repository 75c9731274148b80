"""A use case started in one process resumes in another from its state file, nothing lost.

The services must outlive a process for that, so this runs against the rehearsal world (moto
server and emulators on 127.0.0.1); each process reads its settings from the environment, as a
user's shell would after ``python -m mlmonitor_lib emulators serve``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from mlmonitor_harness.crash import environment_reaching
from mlmonitor_harness.rehearsal import RehearsalWorld

pytestmark = pytest.mark.slow

TRAIN = """
from mlmonitor_lib import SageMakerModelUseCase
uc = SageMakerModelUseCase("use_case_mnist_tf", state_file={state!r},
                           hyperparameters={{"train-samples": 3000, "epochs": 1}})
uc.train()
"""

RESUME = """
import json
from mlmonitor_lib import ModelUseCase
from mlmonitor_harness.sdk_clock import instant_sdk_waits  # test harness: no 5 s SDK sleeps
uc = ModelUseCase.load({state!r})
report = {{"model_data_on_load": uc.state.model_data}}
with instant_sdk_waits():
    uc.deploy(); uc.govern(); uc.monitor()
    uc.log_payload(num_samples=20); uc.configure_quality_monitor()
    uc.log_feedback(num_samples=30)
    result = uc.evaluate()
    report["accuracy"] = result.metrics["accuracy"]
    report["states"] = uc.states()
    report["cleanup"] = uc.cleanup()
    report["alive"] = [r.id for r in uc.store.alive()
                       if r.service in ("serving", "wos", "factsheets")]
print("RESULT " + json.dumps(report))
"""


def run(code: str, env: dict[str, str], cwd) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_train_in_one_process_then_deploy_to_cleanup_in_another(tmp_path):
    state = str(tmp_path / "state.json")
    with RehearsalWorld(workdir=tmp_path / "world") as world:
        env = environment_reaching(world.settings)
        run(TRAIN.format(state=state), env, tmp_path)
        trained = json.loads((tmp_path / "state.json").read_text())
        assert trained["trained"] and trained["model_data"].endswith("/output/model.tar.gz")

        out = run(RESUME.format(state=state), env, tmp_path)
        report = json.loads(out.split("RESULT ", 1)[1])
        assert report["model_data_on_load"] == trained["model_data"]
        assert 0.5 <= report["accuracy"] <= 1.0
        assert report["states"] == {"trained": True, "deployed": True, "governed": True,
                                    "monitored": True}
        assert report["cleanup"] == {"serving": 1, "wos": 1, "factsheets": 1}
        assert report["alive"] == []
        assert world.ibm.factsheets_assets_for(trained["model_entry_id"]) == []
