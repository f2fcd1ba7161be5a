"""Built-in faults. Importing this package registers them (see :mod:`chaosrun.plugins`).

Layout: one file per fault (``lambda_throttle.py``), and one thin provider module per service
(``awslambda.py``) holding the Chaos Toolkit functions experiments call.
"""

import chaosrun.faults.apigateway  # noqa: F401
from chaosrun.faults import awslambda  # noqa: F401
from chaosrun.faults import iam as iam  # re-exported: registers the IAM faults
