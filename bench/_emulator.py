"""AWS stand-ins in processes of their own (AWS is remote: it must not share the measured
client's interpreter, and the network delay is not moto's work either).

- ``python -m bench._emulator moto``: a moto server; prints its URL.
- ``python -m bench._emulator proxy UPSTREAM DELAY``: a proxy adding DELAY seconds per call in
  front of UPSTREAM; prints its URL.

Each serves until its stdin closes.
"""

from __future__ import annotations

import logging
import sys

from bench._proxy import latency_proxy
from bench.common import moto_server


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    role = sys.argv[1]
    if role == "moto":
        with moto_server() as moto:
            print(moto, flush=True)
            sys.stdin.read()
    elif role == "proxy":
        with latency_proxy(sys.argv[2], float(sys.argv[3])) as proxy:
            print(proxy, flush=True)
            sys.stdin.read()
    else:
        raise SystemExit(f"unknown role {role!r}: moto or proxy")


if __name__ == "__main__":
    main()
