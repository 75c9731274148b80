"""How long the SageMaker adapter waits for a resource: botocore's own waiter deadlines.

Why botocore's numbers: they are what AWS's SDK team gives each wait (``EndpointInService``
30 s × 120 = 60 min, ``EndpointDeleted`` 30 s × 60 = 30 min, ``TrainingJobCompletedOrStopped``
120 s × 180 = 6 h); we keep those deadlines, read from the installed botocore's waiter model,
and poll with :mod:`mlmonitor_lib.waiting`'s growing pauses (``WAIT_FIRST_S``/``WAIT_MAX_S``)
instead of botocore's fixed 30 or 120 s.
"""

from __future__ import annotations

from functools import cache

from mlmonitor_lib.waiting import WaitPolicy

ENDPOINT_IN_SERVICE = "EndpointInService"
ENDPOINT_DELETED = "EndpointDeleted"
TRAINING_DONE = "TrainingJobCompletedOrStopped"


@cache
def waiter_deadline(waiter: str) -> float:
    """``delay × maxAttempts`` of one of botocore's SageMaker waiters, in seconds."""
    import botocore.session

    config = botocore.session.get_session().get_waiter_model("sagemaker").get_waiter(waiter)
    return float(config.delay * config.max_attempts)


def wait_policy(settings: object | None, waiter: str) -> WaitPolicy:
    """The pauses the settings ask for (defaults without settings), with ``waiter``'s
    deadline."""
    if settings is None:
        return WaitPolicy(timeout_s=waiter_deadline(waiter))
    return WaitPolicy.from_settings(settings, waiter_deadline(waiter))
