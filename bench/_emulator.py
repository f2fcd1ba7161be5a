"""AWS stand-ins in processes of their own (AWS is remote: it must not share the measured
client's interpreter, and the network delay is not moto's work either).

- ``python -m bench._emulator moto``: a moto server; prints its URL.
- ``python -m bench._emulator proxy UPSTREAM DELAY [lambda-quotas]``: a proxy adding DELAY
  seconds per call in front of UPSTREAM (and answering Lambda's API rate quotas with 429 when
  ``lambda-quotas`` is given); prints its URL.

Each serves until its stdin closes.
"""

from __future__ import annotations

import logging
import sys

from bench._proxy import LAMBDA_QUOTAS, latency_proxy
from bench.common import moto_server


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    role = sys.argv[1]
    if role == "moto":
        with moto_server() as moto:
            print(moto, flush=True)
            sys.stdin.read()
    elif role == "proxy":
        quotas = LAMBDA_QUOTAS if sys.argv[4:] == ["lambda-quotas"] else None
        with latency_proxy(sys.argv[2], float(sys.argv[3]), quotas) as proxy:
            print(proxy, flush=True)
            sys.stdin.read()
    else:
        raise SystemExit(f"unknown role {role!r}: moto or proxy")


if __name__ == "__main__":
    main()
