"""What the emulator does not emulate is refused (501), never faked: the monitors it does not
compute and explanations.
"""

from __future__ import annotations

import pytest

from .conftest import _monitor, _scored_subscription

# the notebook's parameters for each monitor (cells 92, 100, 104); fairness is computed from
# the payload records, but not on perturbed records (tests/test_openscale_fairness.py)
NOT_COMPUTED = {
    "fairness": {"features": [{"feature": "Age", "majority": [[26, 75]], "minority": [[18, 25]],
                               "threshold": 0.95}],
                 "favourable_class": [0], "unfavourable_class": [1], "min_records": 30,
                 "perform_perturbation": True},
    "drift": {"min_samples": 30, "drift_threshold": 0.1, "train_drift_model": False},
    "explainability": {"enabled": True},
}


@pytest.mark.parametrize("definition", sorted(NOT_COMPUTED))
def test_monitors_the_emulator_does_not_compute_are_refused_not_faked(
        client, data_mart_id, provider_id, definition):
    from ibm_cloud_sdk_core import ApiException

    subscription = _scored_subscription(client, data_mart_id, provider_id)
    with pytest.raises(ApiException) as err:
        _monitor(client, data_mart_id, subscription, definition,
                 parameters=NOT_COMPUTED[definition])
    assert err.value.code == 501
    assert not client.monitor_instances.list(
        monitor_definition_id=definition).result.monitor_instances


def test_explanations_are_refused_not_faked(client, data_mart_id, provider_id):
    from ibm_cloud_sdk_core import ApiException

    subscription = _scored_subscription(client, data_mart_id, provider_id)
    with pytest.raises(ApiException) as err:
        client.monitor_instances.explanation_tasks(scoring_ids=["s-1"],
                                                   subscription_id=subscription)
    assert err.value.code == 501
