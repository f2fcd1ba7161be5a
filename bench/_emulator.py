"""A moto server plus a latency-adding proxy in a process of their own (AWS is remote: it must
not share the measured client's interpreter and GIL). Prints ``<moto_url> <proxy_url>`` on one
line, then serves until stdin closes.

Run: python -m bench._emulator DELAY_SECONDS
"""

from __future__ import annotations

import logging
import sys

from bench.common import latency_proxy, moto_server


def main() -> None:
    delay = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with moto_server() as moto, latency_proxy(moto, delay) as proxy:
        print(moto, proxy, flush=True)
        sys.stdin.read()  # until the parent closes our stdin


if __name__ == "__main__":
    main()
