"""ua-parser warm-up (issue 4, second wave): what the first sign-in of a process paid for
user-agent parsing before the app warmed it at start-up, against what it pays now.

    .venv/bin/python -m bench.warmup --runs 5

Each run is a fresh interpreter (nothing parsed yet). "cold" times the first
``technical_data`` call of the process, as the first sign-in made it; "warm" times the
same call after ``warm_up()``, which the app's lifespan now runs at start-up. The ratio
is cold / warm, both measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

PROBE = """
import sys, time
from amanat.accounts import useragent
from amanat.web.client import ClientInfo
if sys.argv[1] == "warm":
    useragent.warm_up()
agent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
start = time.perf_counter()
useragent.technical_data(ClientInfo(ip="192.0.2.1", user_agent=agent))
print(time.perf_counter() - start)
"""


def first_call(mode: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per figure")
    runs = parser.parse_args().runs
    cold, warm = [], []
    for _ in range(runs):  # interleaved, so that load on the machine hits both alike
        cold.append(first_call("cold"))
        warm.append(first_call("warm"))
    cold_ms, warm_ms = statistics.median(cold) * 1000, statistics.median(warm) * 1000
    print(f"{runs} fresh interpreters each")
    print(f"  first user-agent parse, cold (before)    median {cold_ms:9.2f} ms")
    print(f"  first user-agent parse, warmed (now)     median {warm_ms:9.2f} ms")
    print(
        f"  the first sign-in no longer pays {cold_ms - warm_ms:.0f} ms: "
        f"{cold_ms / warm_ms:.0f}x its warmed cost"
    )


if __name__ == "__main__":
    main()
