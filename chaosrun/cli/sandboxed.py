"""Run something against a fresh local sandbox: start it, point this process's AWS settings at
it (the same ``AWS_ENDPOINT_URL`` mechanism a user would use), and stop it afterwards.

Nothing downstream knows: faults and probes see ordinary boto3 settings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def sandboxed(regions: list[str] | None = None, announce: bool = True) -> Iterator[Any]:
    from chaosrun.sandbox import Sandbox
    from chaosrun.sandbox.app.definition import REGIONS

    # the sample app is active-active: without its regions a default sandbox would deploy it
    # in us-east-1 only
    sandbox = Sandbox(regions=list(regions or REGIONS))
    sandbox.start()
    saved = {k: os.environ.get(k) for k in sandbox.env()}
    os.environ.update(sandbox.env())
    if announce:
        print(f"chaosrun: sandbox started at {sandbox.endpoint_url}", file=sys.stderr)
    try:
        yield sandbox
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        sandbox.stop()
