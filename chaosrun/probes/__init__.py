"""Built-in probes. Importing this package registers them (see :mod:`chaosrun.plugins`).

Layout: one file per probe (``http_endpoint.py``), and one thin provider module per service
(``http.py``, ``awslambda.py`` ...) holding the Chaos Toolkit functions experiments call.
"""

from chaosrun.probes import (  # noqa: F401
    activeactive,
    awslambda,
    cloudwatch,
    dynamodb,
    http,
    route53,
    traffic,
)
