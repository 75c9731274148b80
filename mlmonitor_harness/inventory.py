"""What the emulated services hold, counted from their own state: the independent check behind
"cleanup leaves nothing" and "a step run twice creates nothing new".

Why read the emulators' state rather than ask the library: a check that goes through the code
under test can only agree with it. Moto is asked through boto3 (its public API), the local
SageMaker data plane and the IBM emulators through their backends.
"""

from __future__ import annotations

from typing import Any

OPENSCALE_KINDS = ("data_marts", "service_providers", "subscriptions", "data_sets",
                   "monitor_instances")


def serving_resources(session: Any) -> dict[str, int]:
    """SageMaker models, endpoint configs and endpoints moto lists (training jobs and S3 are
    the training's, not a deployment's, and cleanup() leaves them by design)."""
    from mlmonitor_lib.aws import make_client

    sm = make_client(session, "sagemaker")

    def count(operation: str, key: str) -> int:  # every page: a list answers 10 at a time
        return sum(len(page[key]) for page in sm.get_paginator(operation).paginate())

    return {
        "sagemaker.models": count("list_models", "Models"),
        "sagemaker.endpoint_configs": count("list_endpoint_configs", "EndpointConfigs"),
        "sagemaker.endpoints": count("list_endpoints", "Endpoints"),
    }


def ibm_resources(ibm: Any) -> dict[str, int]:
    """OpenScale resources by kind and Factsheets assets, experiments and tracked versions."""
    counts = {f"openscale.{kind}": len(ibm.openscale.resources[kind]) for kind in OPENSCALE_KINDS}
    counts["openscale.credentials"] = len(ibm.openscale.credentials)
    fs = ibm.factsheets
    counts["factsheets.assets"] = len(fs.assets)
    counts["factsheets.experiments"] = len(fs.experiments)
    counts["factsheets.tracked_versions"] = sum(
        len(approach.versions) for uc in fs.use_cases.values()
        for approach in uc.approaches.values()
    )
    return counts


def world_resources(world: Any) -> dict[str, int]:
    """Every resource a deployment or an onboarding creates, in moto, the local data plane and
    the IBM emulators; all zero in a world nobody onboarded in, or after cleanup()."""
    counts = serving_resources(world.session)
    local = getattr(world, "local_sagemaker", None)
    if local is not None:
        counts["local.endpoints_loaded"] = len(local.endpoints)
    if getattr(world, "ibm", None) is not None:
        counts.update(ibm_resources(world.ibm))
    return counts


def leftovers(world: Any) -> dict[str, int]:
    """Only the non-zero counts of :func:`world_resources`: ``{}`` means nothing is left."""
    return {name: count for name, count in world_resources(world).items() if count}
