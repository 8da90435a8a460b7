"""Rate limits: a GCRA limiter that answers "how long to wait", and per-partner/route plans.

``base`` is the interface and the reference GCRA arithmetic; each backend lives in its own
module (``memory`` for one process, ``redis`` shared by every process) and passes the same test
suite. ``policy`` turns partner and route plans into limiter keys. Nothing here imports litestar:
``gateway.api.ratelimit`` renders decisions as HTTP headers and 429 problems.
"""

from gateway.throttle.base import Decision, Limiter
from gateway.throttle.policy import Outcome, Plan, RatePolicy

__all__ = ["Decision", "Limiter", "Outcome", "Plan", "RatePolicy"]
