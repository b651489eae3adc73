"""``dualgrad.autograd.anomaly_mode`` (torch.autograd.anomaly_mode): anomaly detection.

Defined in dualgrad/_anomaly.py, below the dispatcher that records each node's forward stack
(NOTE: [import order] in dualgrad/__init__.py); this module gives it its public place.
"""

from .._anomaly import *  # noqa: F401,F403
from .._anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly, state  # noqa: F401
