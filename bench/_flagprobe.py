"""A steady-state probe whose deviation moment the benchmark controls (no chaosrun import, so
the Chaos Toolkit side venv can load it too).

``healthy(flag, record)`` returns True until the file ``flag`` exists; the first call that
returns False writes ``time.time()`` to ``record`` (created exclusively, so only once).
"""

from __future__ import annotations

import os
import time


def healthy(flag: str, record: str) -> bool:
    if not os.path.exists(flag):
        return True
    at = time.time()
    try:
        fd = os.open(record, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as f:
        f.write(repr(at))
    return False
