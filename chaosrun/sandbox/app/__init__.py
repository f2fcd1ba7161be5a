"""The sample "orders" app the sandbox deploys: see docs/sample-app.md.

- ``definition.py``: what the app is (declarative data);
- ``handlers.py``: the Lambda handlers (plain boto3);
- ``deploy.py``: ``deploy(ctx) -> AppInfo``, plain boto3 calls against ``ctx.endpoint_url``.
"""

from chaosrun.sandbox.app.deploy import AppInfo, FunctionInfo, RegionInfo, deploy

__all__ = ["AppInfo", "FunctionInfo", "RegionInfo", "deploy"]
