"""Support desk benchmarks: the card-number detector against Presidio, and tickets/s.

    .venv/bin/pip install -c constraints.txt -e '.[bench]'   # Presidio, benchmark only
    .venv/bin/python -m bench.support                        # both parts
    .venv/bin/python -m bench.support --detector-only

Part 1 runs, in one process over the same texts, our detector
(amanat.support.redaction.find_cards) and Microsoft Presidio's CreditCardRecognizer (a
regular expression plus a Luhn check; it needs no spaCy model, and none is loaded). For
each it prints recall over the corpus of published test numbers in every spelling
(tests/factories/cards.py), false positives over the near-miss corpus, and MB/s over a
large mixed text, with our speed as a ratio of Presidio's. It exits non-zero if ours
misses anything Presidio finds, has any false positive, or is slower.

Part 2 creates tickets through the HTTP API of a real uvicorn server (TLS, loopback,
SQLite in a temporary directory) and prints tickets/s, beside a baseline of
``GET /healthz`` round trips in the same run.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from tests.factories.cards import NEAR_MISSES, Spelling, card_corpus

from amanat.support.redaction import find_cards

Span = tuple[int, int]
Detector = Callable[[str], list[Span]]


def ours(text: str) -> list[Span]:
    return [(f.start, f.end) for f in find_cards(text)]


def presidio_detector() -> Detector:
    try:
        from presidio_analyzer.predefined_recognizers import CreditCardRecognizer
    except ImportError:
        sys.exit("Presidio is not installed: pip install -c constraints.txt -e '.[bench]'")
    recognizer = CreditCardRecognizer()

    def presidio(text: str) -> list[Span]:
        return [(r.start, r.end) for r in recognizer.analyze(text, ["CREDIT_CARD"], None)]

    return presidio


def covers(spans: list[Span], spelling: Spelling) -> bool:
    start = spelling.text.index(spelling.written)
    end = start + len(spelling.written)
    return any(s <= start and e >= end for s, e in spans)


@dataclass
class Recall:
    found: set[str]
    total: int
    missed_by_kind: dict[str, int]


def recall(detector: Detector, corpus: list[Spelling]) -> Recall:
    found: set[str] = set()
    missed: dict[str, int] = {}
    for spelling in corpus:
        if covers(detector(spelling.text), spelling):
            found.add(spelling.how + "|" + spelling.number)
        else:
            kind = spelling.how.split("/")[0] + "/" + spelling.how.split("/")[1]
            missed[kind] = missed.get(kind, 0) + 1
    return Recall(found, len(corpus), missed)


def false_positives(detector: Detector) -> list[str]:
    return [text for text in NEAR_MISSES if detector(text)]


PROSE = (
    "my internet connection drops every evening since the router was replaced please "
    "check the line and call me back the invoice shows a charge I do not recognise and "
    "the speed test gives far less than the package promises thank you for your help "
    "میرا انٹرنیٹ کنکشن شام کو بند ہو جاتا ہے براہ کرم مدد کریں"
)
WORDS = PROSE.split()


def mixed_messages(count: int, seed: int = 6) -> list[str]:
    """Support-like messages: prose with phones, dates, CNICs, invoices, amounts, cards."""
    rng = random.Random(seed)
    numbers = [s.written for s in card_corpus() if s.how.endswith("/alone")]
    extras = [*NEAR_MISSES, "Rs. 2,499", "10:30", "2024", "PKR 15,000.00", "50 Mbps"]
    messages = []
    for _ in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(60, 220))]
        for _ in range(rng.randint(1, 4)):
            words.insert(rng.randrange(len(words)), rng.choice(extras))
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words)), rng.choice(numbers))
        messages.append(" ".join(words))
    return messages


def throughputs(detectors: list[Detector], texts: list[str], rounds: int = 7) -> list[float]:
    """Best MB/s (UTF-8 bytes) of each detector scanning every text once.

    The detectors take turns, round after round, so that a busy moment on a shared
    machine slows both rather than one.
    """
    size = sum(len(t.encode()) for t in texts) / 1e6
    best = [float("inf")] * len(detectors)
    for _ in range(rounds):
        for index, detector in enumerate(detectors):
            started = time.perf_counter()
            for text in texts:
                detector(text)
            best[index] = min(best[index], time.perf_counter() - started)
    return [size / seconds for seconds in best]


def detector_benchmark() -> bool:
    presidio = presidio_detector()
    corpus = card_corpus()
    ok = True
    print(f"Card-number corpus: {len(corpus)} spellings; near-misses: {len(NEAR_MISSES)}")
    results = {}
    for name, detector in (("amanat", ours), ("presidio", presidio)):
        r = recall(detector, corpus)
        fps = false_positives(detector)
        results[name] = r
        print(
            f"  {name:9} recall {len(r.found)}/{r.total} = {len(r.found) / r.total:6.1%}   "
            f"false positives {len(fps)}/{len(NEAR_MISSES)}"
        )
        worst = sorted(r.missed_by_kind.items(), key=lambda kv: -kv[1])[:8]
        if worst:
            print("            misses: " + ", ".join(f"{k} x{n}" for k, n in worst))
        if name == "amanat" and fps:
            ok = False
            print(f"  FAIL: our false positives: {fps}")
    only_presidio = results["presidio"].found - results["amanat"].found
    if only_presidio:
        ok = False
        print(f"  FAIL: Presidio finds {len(only_presidio)} spellings we miss")
    print(
        f"  found by us and missed by Presidio: "
        f"{len(results['amanat'].found - results['presidio'].found)}"
    )

    messages = mixed_messages(4000)
    size = sum(len(m.encode()) for m in messages) / 1e6
    big = ["\n\n".join(messages)]
    print(f"Speed over {len(messages)} mixed messages ({size:.1f} MB), best of 7 rounds:")
    for label, texts in (("message by message", messages), ("as one text", big)):
        our_speed, presidio_speed = throughputs([ours, presidio], texts)
        ratio = our_speed / presidio_speed
        print(
            f"  {label:19} amanat {our_speed:7.1f} MB/s   presidio {presidio_speed:7.1f} MB/s"
            f"   ratio {ratio:5.2f}x"
        )
        if ratio < 1.0:
            ok = False
            print("  FAIL: slower than Presidio")
    return ok


def tickets_benchmark(count: int) -> None:
    """Tickets/s through POST /api/v1/tickets on a real HTTPS server (SQLite, loopback),
    beside GET /healthz round trips on the same server and connection as the baseline."""
    import tempfile
    from pathlib import Path

    from tests.conftest import serving, trusting_client
    from tests.factories.accounts import create_customer, customer_api_token

    from amanat.composition import build_runtime
    from amanat.config import Settings
    from amanat.install import initialise

    with tempfile.TemporaryDirectory() as tmp:
        runtime = build_runtime(Settings(environment="test", data_dir=Path(tmp) / "data"))
        initialise(runtime)
        token = customer_api_token(runtime, create_customer(runtime))
        headers = {"Authorization": f"Bearer {token}"}
        with (
            serving(runtime) as server,
            trusting_client(runtime.settings, base_url=server.url, headers=headers) as client,
        ):
            client.get("/healthz")  # connect once; both loops reuse the connection
            started = time.perf_counter()
            for _ in range(count):
                client.get("/healthz").raise_for_status()
            health_rate = count / (time.perf_counter() - started)
            started = time.perf_counter()
            for n in range(count):
                client.post("/api/v1/tickets", json={
                    "subject": f"Line down {n}", "category": "connection",
                    "message": "No internet since morning; card 4111 1111 1111 1111 by mistake.",
                }).raise_for_status()  # fmt: skip
            ticket_rate = count / (time.perf_counter() - started)
        runtime.close()
    print(f"Tickets end to end over HTTPS (SQLite), {count} sequential requests each:")
    print(
        f"  POST /api/v1/tickets {ticket_rate:7.1f}/s   GET /healthz {health_rate:7.1f}/s   "
        f"ratio {ticket_rate / health_rate:5.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector-only", action="store_true")
    parser.add_argument("--tickets", type=int, default=300, help="tickets to create")
    args = parser.parse_args()
    ok = detector_benchmark()
    if not args.detector_only:
        tickets_benchmark(args.tickets)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
