"""Card-number corpus: published test numbers in real-world spellings, and near-misses.

Shared by the redaction tests (tests/unit/test_support_redaction.py) and the recall
benchmark (bench/support.py). Every number here is a test number that the card networks
and their processors publish for integration testing; none belongs to a real card.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# Published test numbers, by brand (network and processor integration guides).
PUBLISHED_TEST_NUMBERS: dict[str, tuple[str, ...]] = {
    "visa": (
        "4242424242424242",
        "4111111111111111",
        "4012888888881881",
        "4000056655665556",
        "4000002500003155",
        "4222222222222",  # the 13-digit Visa test number
        "4917610000000000003",  # 19 digits
    ),
    "mastercard-5": (
        "5555555555554444",
        "5105105105105100",
        "5200828282828210",
        "5454545454545454",
    ),
    "mastercard-2": (
        "2223003122003222",
        "2222400070000005",
        "2223000048400011",
        "2720990000000007",
    ),
    "amex": (
        "378282246310005",
        "371449635398431",
        "378734493671000",
        "340000000000009",
    ),
    "discover": (
        "6011111111111117",
        "6011000990139424",
        "6011981111111113",
        "6445644564456445",
    ),
    "jcb": (
        "3566002020360505",
        "3530111333300000",
        "3566111111111113",
        "3569990010095841",
    ),
    "unionpay": (
        "6200000000000005",
        "6200000000000047",
        "6250941006528599",
        "6205500000000000004",  # 19 digits
    ),
    # The schemes beyond the big seven, with the test numbers their networks, acquirers
    # and the public detectors' test suites use (UATP, Dankort, Diners, Maestro).
    "uatp": ("122000000000003",),
    "dankort": ("5019717010103742",),
    "diners": ("30569309025904", "38520000023237", "36006666333344"),
    "maestro": (
        "6759649826438453",
        "6304000000000000",
        "6799990100000000019",  # 19 digits
        "5000550000000029",
        "6771798021000008",
    ),
    "discover-more": ("6011000400000000",),
    "jcb-more": ("3528000700000000",),
    "visa-more": ("4917300800000000", "4484070000000000", "4026000000000002"),
}

# Schemes whose networks publish no test number: a number in the scheme's issuer range
# (ISO/IEC 7812) made Luhn-valid here, so synthetic by construction.
SCHEME_RANGE_NUMBERS: dict[str, tuple[str, ...]] = {
    "mir": ("2200000000000004", "2204123456789015"),
    "paypak": ("2205000000000009", "2205123412341231"),
    "rupay": ("6070000000000002", "8100000000000002", "5081000000000001"),
    "verve": ("5061000000000005", "6500020000000000", "5078651234567895"),
    "troy": ("9792000000000003",),
    "interpayment": ("6360000000000001",),
    "instapayment": ("6370000000000009",),
    "napas": ("9704000000000000",),
    "uzcard": ("8600000000000007",),
    "humo": ("9860000000000000",),
    "gpn": ("1946000000000005",),
    "china-t-union": ("3100000000000000005",),
    "maestro-12": ("500000000009", "600000000007", "679900000002"),
}

BRAND_OF_GROUP = {
    "visa": "visa",
    "mastercard-5": "mastercard",
    "mastercard-2": "mastercard",
    "amex": "amex",
    "discover": "discover",
    "jcb": "jcb",
    "unionpay": "unionpay",
    "uatp": "uatp",
    "dankort": "dankort",
    "diners": "diners",
    "maestro": "maestro",
    "discover-more": "discover",
    "jcb-more": "jcb",
    "visa-more": "visa",
    "mir": "mir",
    "paypak": "paypak",
    "rupay": "rupay",
    "verve": "verve",
    "troy": "troy",
    "interpayment": "interpayment",
    "instapayment": "instapayment",
    "napas": "napas",
    "uzcard": "uzcard",
    "humo": "humo",
    "gpn": "gpn",
    "china-t-union": "china-t-union",
    "maestro-12": "maestro",
}


def brand_grouping(number: str) -> tuple[int, ...]:
    """How the brand prints the number: 4-6-5 for Amex, 4-4-4-4(-3) for the others."""
    if len(number) == 15:
        return (4, 6, 5)
    if len(number) == 14:
        return (4, 6, 4)
    if len(number) == 13:
        return (4, 3, 3, 3)
    sizes = [4] * (len(number) // 4)
    if len(number) % 4:
        sizes.append(len(number) % 4)
    return tuple(sizes)


def group(number: str, sizes: tuple[int, ...], separator: str) -> str:
    parts, position = [], 0
    for size in sizes:
        parts.append(number[position : position + size])
        position += size
    return separator.join(parts)


@dataclass(frozen=True)
class Spelling:
    number: str
    brand: str
    how: str
    written: str
    text: str


def spellings(number: str) -> Iterator[tuple[str, str]]:
    """(label, written form) for each way people write a card number in a message."""
    sizes = brand_grouping(number)
    yield "together", number
    yield "spaces", group(number, sizes, " ")
    yield "dashes", group(number, sizes, "-")
    yield "dots", group(number, sizes, ".")
    yield "spaced dashes", group(number, sizes, " - ")
    yield "tabs", group(number, sizes, "\t")
    yield "no-break spaces", group(number, sizes, "\u00a0")
    half = len(number) // 2
    yield "line break inside", number[:half] + "\n" + number[half:]
    yield "CRLF inside", number[:half] + "\r\n" + number[half:]
    grouped = group(number, sizes, " ")
    cut = grouped.index(" ", len(grouped) // 2 - 2)
    yield "line break for a space", grouped[:cut] + "\n" + grouped[cut + 1 :]
    yield "quoted reply wrap", grouped[:cut] + "\n> " + grouped[cut + 1 :]
    yield "mixed separators", group(number, sizes, "-").replace("-", " ", 1)


SURROUNDINGS: tuple[tuple[str, str], ...] = (
    ("alone", "{}"),
    ("sentence", "My card number is {} please charge it."),
    ("parentheses", "Charge my card ({}) for the router."),
    ("colon", "Card:{}, expiry 08/29"),
    ("quotes", 'I typed "{}" and it failed.'),
    ("trailing stop", "Use {}."),
    ("new lines", "Hello,\n\n{}\n\nThanks, Canary Testname"),
    ("urdu", "میرا کارڈ نمبر {} ہے"),
    ("hash", "card #{} was declined"),
)


def card_corpus() -> list[Spelling]:
    """Every test number of every scheme in every spelling and every surrounding."""
    corpus = []
    for group_name, numbers in (PUBLISHED_TEST_NUMBERS | SCHEME_RANGE_NUMBERS).items():
        for number in numbers:
            for how, written in spellings(number):
                for where, template in SURROUNDINGS:
                    corpus.append(
                        Spelling(
                            number=number,
                            brand=BRAND_OF_GROUP[group_name],
                            how=f"{group_name}/{how}/{where}",
                            written=written,
                            text=template.format(written),
                        )
                    )
    return corpus


# Numbers that are not card numbers and must come out of redaction untouched. The CNICs
# below were chosen so that their 13 digits pass the Luhn check (and begin with 4, a
# Visa prefix): only their 5-7-1 grouping tells them apart.
LUHN_VALID_CNICS = ("42101-1234567-4", "41303-9876543-9", "44000-0000000-8", "42201-5555555-0")

NEAR_MISSES: tuple[str, ...] = (
    # CNICs in their 5-7-1 grouping, alone, in text, and next to each other.
    *LUHN_VALID_CNICS,
    "My CNIC is 35202-1234567-1 and my father's is 42101-1234567-4.",
    "CNIC: 42101-1234567-4, phone 0300-1234567",
    "42101 1234567 4",
    "42101.1234567.4",
    # Pakistani phone numbers in their usual spellings.
    "+92 300 1234567",
    "+92-300-1234567",
    "+923001234567",
    "0092 300 1234567",
    "0300-1234567",
    "0300 1234567",
    "03001234567",
    "(051) 1234567",
    "+92 51 1234567 ext 1234",
    "Call me on +92 300 1234567 1030 hrs or 0321 7654321.",
    "+92 345 1234567 12345",
    # Dates, times and ranges.
    "2024-07-15",
    "15-07-2024",
    "15.07.2024",
    "30-12-2024 31-12-2024",
    "From 30.12.2024 - 31.12.2024 the line was down.",
    "2024-07-15 2024-08-15 2024-09-15",
    "15/07/2024 10:30",
    "on 2025 07 15 at 10 30",
    # Invoice, order and ticket numbers.
    "INV-2024-000123",
    "Invoice INV-202407-4111 is unpaid",
    "Order 2024071500012345",
    "T-10042",
    "PO 4500012345",
    "account 1000234567",
    # Sixteen digits that fail the Luhn check.
    "4111111111111112",
    "4111 1111 1111 1112",
    "5555-5555-5555-4445",
    "3782 822463 10006",
    "6011111111111118",
    # Other numbers in support mail.
    "Rs. 4,500.00 was charged twice on 12.07.2024",
    "IP 192.168.100.200 and 10.0.0.1",
    "MAC 00:1A:2B:3C:4D:5E",
    "version 4.1.11.1111",
    "NTN 1234567-8",
    "Tracking number 1Z999AA10123456784",
    "Meter readings 4111 1111 111 11 1111",
    # Twelve digits inside a longer run of numbers: a phone number and a reference, even
    # where the twelve pass the Luhn check in Maestro's range (600000000007).
    "+92-300-600000000007",
    "0300 6000 0000 0007 1234",
    "ref 2024 6000 0000 0007",
    "Ticket 6000-0000-0007-55 reopened",
    # Numbers starting with 7 (petroleum, no payment card) or 0.
    "7000000000000000000",
    "0000000000000000",
)


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` pass the Luhn check."""
    total = 0
    for index, ch in enumerate(reversed(partial)):
        d = int(ch)
        if index % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)
