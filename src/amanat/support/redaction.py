"""Payment card numbers in free text: found and masked before anything is stored.

The privacy policy (clause 4.5) promises that card numbers are never stored. People
still type them into support messages, so every entry point (portal, API, e-mail,
internal notes) passes its text through :func:`redact` first.

What counts as a card number:

- 13 to 19 digits, written together or in groups separated by spaces, dashes, dots or
  line breaks (a line break may split a group anywhere, as mail clients wrap lines);
- a prefix and a length of a known brand (Visa, Mastercard 2- and 5-series, American
  Express, Discover, JCB, UnionPay, Diners Club, Maestro, Mir);
- a valid Luhn check digit;
- a first written group of at least four digits, then groups of at least three (the
  last one excepted). Card numbers are printed and read out in groups of four (or 4-6-5,
  4-6-4); dates (``30-12-2024``), phone numbers (``+92 300 1234567``), Pakistani CNICs
  in their 5-7-1 grouping (``35202-1234567-1``) and lists of short numbers are not, so
  they survive even when their digits happen to pass the Luhn check.

A security code written near a card number (``CVV 123``, ``security code: 1234``) is
masked too. The mask keeps the text's length and layout and at most the last four
digits of the card: ``4111-1111-1111-1111`` becomes ``****-****-****-1111``.

The detector is one compiled regular expression that only matches runs of at least 13
digits, followed by a little arithmetic on those runs, so ordinary prose costs nothing
but the regular-expression scan.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MASK = "*"
MIN_DIGITS = 13
MAX_DIGITS = 19
# How far from a card number (in characters) a security code is still "near" it.
SECURITY_CODE_WINDOW = 80

_SEPARATOR_CHARS = " \t.\\-\u00a0\u2009\u202f\u2010\u2011\u2012\u2013\u2014"
# A line break, possibly after a separator and before the indentation or quote marks a
# mail client adds.
_LINE_BREAK = rf"[{_SEPARATOR_CHARS}]{{0,3}}\r?\n[ \t>]{{0,6}}"
_SEPARATOR = rf"(?:[{_SEPARATOR_CHARS}]{{1,3}}|{_LINE_BREAK})"
# A maximal run of digits joined by separators, holding at least MIN_DIGITS digits.
_CANDIDATE = re.compile(rf"\d(?:{_SEPARATOR}?\d){{{MIN_DIGITS - 1},}}")
_DIGITS = re.compile(r"\d+")
_HAS_LINE_BREAK = re.compile(r"[\r\n]")
_SECURITY_CODE = re.compile(
    r"(?i)\b(?:cvv2?|cvc2?|cvn2?|cvd|cid|csc|cav2|"
    r"(?:card\s+)?security\s+(?:code|number|no\.?)|card\s+code|"
    r"verification\s+(?:code|value|number))\b[^\w\n]{0,6}(\d{3,4})(?!\d)"
)
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


@dataclass(frozen=True)
class CardFinding:
    """Where a card number was found. Holds its brand and last four, never the number."""

    start: int
    end: int
    brand: str
    length: int
    last4: str


@dataclass(frozen=True)
class Redaction:
    """The text with card numbers and nearby security codes masked, and what was masked."""

    text: str
    cards: int
    security_codes: int
    brands: tuple[str, ...] = ()

    @property
    def redacted(self) -> bool:
        return self.cards > 0


def luhn_valid(digits: str) -> bool:
    """True when the ASCII digit string passes the Luhn (mod 10) check."""
    total = sum(map(int, digits[-1::-2]))
    for ch in digits[-2::-2]:
        total += _DOUBLED[ord(ch) - 48]
    return total % 10 == 0


_ANY = range(MIN_DIGITS, MAX_DIGITS + 1)
_LONG = range(16, MAX_DIGITS + 1)
# (brand, how many leading digits, lowest prefix, highest prefix, lengths it issues).
# Ranges do not overlap, so the first one matching the prefix decides.
BRANDS: tuple[tuple[str, int, int, int, Iterable[int]], ...] = (
    ("visa", 1, 4, 4, (13, 16, 19)),
    ("mastercard", 2, 51, 55, (16,)),
    ("mastercard", 4, 2221, 2720, (16,)),
    ("mir", 4, 2200, 2204, _LONG),
    ("amex", 2, 34, 34, (15,)),
    ("amex", 2, 37, 37, (15,)),
    ("jcb", 4, 3528, 3589, _LONG),
    ("diners", 2, 36, 36, range(14, MAX_DIGITS + 1)),
    ("diners", 2, 38, 39, range(14, MAX_DIGITS + 1)),
    ("diners", 3, 300, 305, range(14, MAX_DIGITS + 1)),
    ("diners", 4, 3095, 3095, range(14, MAX_DIGITS + 1)),
    ("discover", 4, 6011, 6011, _LONG),
    ("discover", 3, 644, 649, _LONG),
    ("discover", 2, 65, 65, _LONG),
    ("unionpay", 2, 62, 62, _LONG),
    ("maestro", 4, 5018, 5018, _ANY),
    ("maestro", 4, 5020, 5020, _ANY),
    ("maestro", 4, 5038, 5038, _ANY),
    ("maestro", 4, 5893, 5893, _ANY),
    ("maestro", 4, 6304, 6304, _ANY),
    ("maestro", 4, 6759, 6759, _ANY),
    ("maestro", 4, 6761, 6763, _ANY),
)
_BRANDS_BY_FIRST_DIGIT = {
    first: tuple(b for b in BRANDS if str(b[2]).startswith(first)) for first in "0123456789"
}


def brand_of(digits: str) -> str | None:
    """The card brand whose prefix and length fit these digits, or None."""
    for brand, width, low, high, lengths in _BRANDS_BY_FIRST_DIGIT[digits[0]]:
        if low <= int(digits[:width]) <= high:
            return brand if len(digits) in lengths else None
    return None


def _ascii_digits(text: str) -> str:
    if text.isascii():
        return text
    # Arabic-Indic (۴۱۱۱…) and other decimal digits are still card numbers.
    return "".join(str(unicodedata.digit(ch)) for ch in text)


def _written_groups(pieces: list[tuple[str, int, int, bool]], i: int, j: int) -> list[int]:
    """Lengths of the groups as written, treating a line break as no separator at all."""
    lengths = [len(pieces[i][0])]
    for k in range(i + 1, j + 1):
        if pieces[k][3]:
            lengths[-1] += len(pieces[k][0])
        else:
            lengths.append(len(pieces[k][0]))
    return lengths


def _card_in(pieces: list[tuple[str, int, int, bool]], i: int, j: int, digits: str) -> str | None:
    brand = brand_of(digits)
    if brand is None or not luhn_valid(digits):
        return None
    if j > i:
        groups = _written_groups(pieces, i, j)
        # The first group has four digits or more and every other group but the last
        # three or more: rules out dates, phone numbers written 300 1234567, the 5-7-1
        # CNIC (its final group is one digit) and lists of short numbers.
        if groups[0] < 4 or any(length < 3 for length in groups[1:-1]):
            return None
        if len(groups) == 3 and groups[2] == 1 and groups[0] == 5 and groups[1] == 7:
            return None
    return brand


def _cards_in_run(run: str, offset: int) -> list[CardFinding]:
    pieces: list[tuple[str, int, int, bool]] = []
    previous_end = 0
    for m in _DIGITS.finditer(run):
        after_line_break = bool(pieces) and bool(
            _HAS_LINE_BREAK.search(run, previous_end, m.start())
        )
        pieces.append((_ascii_digits(m.group()), m.start(), m.end(), after_line_break))
        previous_end = m.end()
    if len(pieces) == 1:
        digits = pieces[0][0]
        if len(digits) > MAX_DIGITS:
            return []
        brand = _card_in(pieces, 0, 0, digits)
        if brand is None:
            return []
        return [CardFinding(offset, offset + len(run), brand, len(digits), digits[-4:])]
    findings: list[CardFinding] = []
    i = 0
    while i < len(pieces):
        best: tuple[int, str, str] | None = None
        digits = ""
        for j in range(i, len(pieces)):
            digits += pieces[j][0]
            if len(digits) > MAX_DIGITS:
                break
            if len(digits) >= MIN_DIGITS:
                brand = _card_in(pieces, i, j, digits)
                if brand is not None:
                    best = (j, brand, digits)
        if best is None:
            i += 1
            continue
        j, brand, digits = best
        findings.append(
            CardFinding(
                offset + pieces[i][1], offset + pieces[j][2], brand, len(digits), digits[-4:]
            )
        )
        i = j + 1
    return findings


def find_cards(text: str) -> list[CardFinding]:
    """Every card number in ``text``, in order, non-overlapping."""
    findings: list[CardFinding] = []
    for m in _CANDIDATE.finditer(text):
        findings.extend(_cards_in_run(m.group(), m.start()))
    return findings


def _security_codes_near(text: str, cards: list[CardFinding]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for card in cards:
        lo = max(0, card.start - SECURITY_CODE_WINDOW)
        hi = min(len(text), card.end + SECURITY_CODE_WINDOW)
        for m in _SECURITY_CODE.finditer(text, lo, hi):
            span = m.span(1)
            inside_a_card = any(c.start <= span[0] < c.end for c in cards)
            if not inside_a_card and span not in spans:
                spans.append(span)
    return spans


def _mask_digits(segment: str, keep_last: int) -> str:
    digit_positions = [k for k, ch in enumerate(segment) if ch.isdigit()]
    hide = set(digit_positions[: max(0, len(digit_positions) - keep_last)])
    return "".join(MASK if k in hide else ch for k, ch in enumerate(segment))


def redact(text: str) -> Redaction:
    """Mask every card number (keeping at most its last four digits) and nearby security codes.

    Pure function; callers record the returned counts (never the numbers) and tell the
    sender not to send card details when ``cards`` is not zero.
    """
    cards = find_cards(text)
    if not cards:
        return Redaction(text=text, cards=0, security_codes=0)
    codes = _security_codes_near(text, cards)
    spans = sorted([(c.start, c.end, 4) for c in cards] + [(s, e, 0) for s, e in codes])
    out: list[str] = []
    position = 0
    for start, end, keep in spans:
        out.append(text[position:start])
        out.append(_mask_digits(text[start:end], keep))
        position = end
    out.append(text[position:])
    return Redaction(
        text="".join(out),
        cards=len(cards),
        security_codes=len(codes),
        brands=tuple(sorted({c.brand for c in cards})),
    )


CARD_WARNING = (
    "We removed a payment card number from your message before storing it. Please never "
    "send card numbers or security codes to support: we do not need them, and payments "
    "are only taken on our payment processor's secure page."
)
