"""Built-in faults. Importing this package registers them (see :mod:`chaosrun.plugins`).

Layout: one file per fault (``lambda_throttle.py``), and one thin provider module per service
(``awslambda.py``) holding the Chaos Toolkit functions experiments call.
"""

from chaosrun.faults import apigateway as apigateway  # registers the API Gateway faults
from chaosrun.faults import awslambda  # noqa: F401
from chaosrun.faults import dynamodb as dynamodb  # registers the DynamoDB faults
from chaosrun.faults import events as events  # registers the EventBridge faults
from chaosrun.faults import iam as iam  # re-exported: registers the IAM faults
from chaosrun.faults import region as region  # registers the regional impairment
from chaosrun.faults import route53 as route53  # registers the Route 53 faults
