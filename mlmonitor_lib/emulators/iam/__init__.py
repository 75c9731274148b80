"""IAM token service and the CP4D ``authorize`` endpoint, emulated.

Issues real JWTs (HS256, signed with a per-backend secret) so that the services behind it can
check a bearer token the way the real ones do: signature, expiry, and a 401 otherwise.
"""

from mlmonitor_lib.emulators.iam.clock import IamClock
from mlmonitor_lib.emulators.iam.models import IamBackend
from mlmonitor_lib.emulators.iam.urls import make_router

__all__ = ["IamBackend", "IamClock", "make_router"]
