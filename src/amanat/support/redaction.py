"""Payment card numbers in free text: found and masked before anything is stored.

The privacy policy (clause 4.5) promises that card numbers are never stored. People
still type them into support messages, so every entry point (portal, API, e-mail,
internal notes) passes its text through :func:`redact` first.

What counts as a card number:

- 12 to 19 digits, written together or in groups separated by spaces, dashes, dots or
  line breaks (a line break may split a group anywhere, as mail clients wrap lines);
- a prefix and a length that a payment scheme issues under ISO/IEC 7812 (see
  :data:`BRANDS`: the international networks, Maestro's whole 50 and 56-69 ranges, the
  national schemes such as RuPay, Mir, Verve, Troy, PayPak, Dankort, and UATP);
- a valid Luhn check digit;
- a first written group of at least four digits, then groups of at least three (the
  last one excepted). Card numbers are printed and read out in groups of four (or 4-6-5,
  4-6-4); dates (``30-12-2024``), phone numbers (``+92 300 1234567``), Pakistani CNICs
  in their 5-7-1 grouping (``35202-1234567-1``) and lists of short numbers are not, so
  they survive even when their digits happen to pass the Luhn check;
- a twelve-digit number (only Maestro issues them) only when it stands alone, written
  together or 4-4-4: twelve digits inside a longer run of numbers are far more often
  part of a phone number or a reference than a card.

A security code written near a card number (``CVV 123``, ``security code: 1234``) is
masked too. The mask keeps the text's length and layout and at most the last four
digits of the card: ``4111-1111-1111-1111`` becomes ``****-****-****-1111``.

The detector is one compiled regular expression that matches only runs written like a
card number, followed by a little arithmetic on those runs, so ordinary prose costs
nothing but the scan.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MASK = "*"
MIN_DIGITS = 12
# Fewer digits than this make a card only when they stand alone (see _alone).
MIN_DIGITS_IN_A_RUN = 13
MAX_DIGITS = 19
# How far from a card number (in characters) a security code is still "near" it.
SECURITY_CODE_WINDOW = 80

_SEPARATOR_CHARS = " \t.\\-\u00a0\u2009\u202f\u2010\u2011\u2012\u2013\u2014"
_SEPARATOR = rf"[{_SEPARATOR_CHARS}]{{1,3}}"
# A line break, possibly after a separator and before the indentation or quote marks a
# mail client adds. It may fall anywhere, even inside a group.
_LINE_BREAK = rf"[{_SEPARATOR_CHARS}]{{0,3}}\r?\n[ \t>]{{0,6}}"
# Digits as people type them here: ASCII, Arabic-Indic and Extended Arabic-Indic (Urdu
# keyboards), Devanagari and full-width. Listed as ranges rather than \d because the
# engine tests ranges far faster than the Unicode digit category.
_DIGIT = "0-9\u0660-\u0669\u06f0-\u06f9\u0966-\u096f\uff10-\uff19"
# Payment schemes start with 1 (UATP), 2 to 6, 8 (RuPay, UzCard) or 9 (Troy, Napas, Humo)
# in any of those scripts; 0 and 7 (petroleum) issue no payment cards.
_BRAND_FIRST_DIGITS = frozenset("12345689")
_SCRIPT_ZEROS = (0x30, 0x660, 0x6F0, 0x966, 0xFF10)
_BRAND_START = "".join(
    chr(zero + int(d)) for zero in _SCRIPT_ZEROS for d in sorted(_BRAND_FIRST_DIGITS)
)
# One more digit of the same written group (a line break may come before it). The digit
# alone is tried first: it is by far the commoner, and the two cannot both match.
_NEXT = rf"(?:[{_DIGIT}]|{_LINE_BREAK}[{_DIGIT}])"
# The rest of a CNIC in its 5-7-1 grouping, after its first digit.
_CNIC_REST = rf"[{_DIGIT}]{{4}}{_SEPARATOR}[{_DIGIT}]{{7}}{_SEPARATOR}[{_DIGIT}](?![{_DIGIT}])"
# A run written like a card number: a brand's first digit that follows no digit and does
# not begin a CNIC, with at least 12 digit or separator characters from there; a first
# group of four digits or more, middle groups of three or more, and a last group of any
# length. The pattern begins with a plain character class, so the engine skips prose
# quickly and tries a match only at such digits. Python then checks each stretch of 12
# to 19 digits in the run for a brand, the written grouping and the Luhn digit.
_CANDIDATE = re.compile(
    rf"[{_BRAND_START}](?<![{_DIGIT}].)(?=[{_DIGIT}{_SEPARATOR_CHARS}\r\n>]{{{MIN_DIGITS - 1}}})"
    rf"(?!{_CNIC_REST})"
    rf"{_NEXT}{{3,}}(?:{_SEPARATOR}[{_DIGIT}]{_NEXT}{{2,}})*(?:{_SEPARATOR}[{_DIGIT}]{_NEXT}*)?"
)
_DIGITS = re.compile(rf"[{_DIGIT}]+")
_DIGIT_BEFORE = re.compile(rf"[{_DIGIT}][{_SEPARATOR_CHARS}\r\n>]{{0,6}}\Z")
_DIGIT_AFTER = re.compile(rf"[{_SEPARATOR_CHARS}\r\n>]{{0,6}}[{_DIGIT}]")
_SECURITY_CODE = re.compile(
    r"(?i)\b(?:cvv2?|cvc2?|cvn2?|cvd|cid|csc|cav2|"
    r"(?:card\s+)?security\s+(?:code|number|no\.?)|card\s+code|"
    r"verification\s+(?:code|value|number))\b[^\w\n]{0,6}(\d{3,4})(?!\d)"
)
# Each digit doubled, its two digits summed (Luhn): 5 -> 10 -> 1.
_DOUBLED = str.maketrans("0123456789", "0246813579")


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
    doubled = digits[-2::-2].translate(_DOUBLED)
    return (sum(map(int, digits[-1::-2])) + sum(map(int, doubled))) % 10 == 0


_ANY = range(MIN_DIGITS, MAX_DIGITS + 1)
_LONG = range(16, MAX_DIGITS + 1)
_DINERS = range(14, MAX_DIGITS + 1)
_SWITCH = (16, 18, 19)
# (brand, how many leading digits, lowest prefix, highest prefix, lengths it issues):
# the issuer ranges of ISO/IEC 7812 that payment cards carry, active schemes only. A
# narrower range is tried before a wider one that holds it (Discover's 6011 before
# Maestro's 60), and a number whose length the narrower scheme does not issue falls
# through to the wider one (a 12-digit 6011... is a Maestro number).
BRANDS: tuple[tuple[str, int, int, int, Iterable[int]], ...] = (
    ("uatp", 1, 1, 1, (15,)),
    ("gpn", 4, 1946, 1946, _SWITCH),
    ("mir", 4, 2200, 2204, _LONG),
    ("paypak", 4, 2205, 2205, (16,)),
    ("mastercard", 4, 2221, 2720, (16,)),
    ("diners", 3, 300, 305, _DINERS),
    ("diners", 4, 3095, 3095, _DINERS),
    ("china-t-union", 2, 31, 31, (19,)),
    ("amex", 2, 34, 34, (15,)),
    ("jcb", 4, 3528, 3589, _LONG),  # RuPay's 353 and 356 and LankaPay's 357111 lie inside
    ("diners", 2, 36, 36, _DINERS),
    ("amex", 2, 37, 37, (15,)),
    ("diners", 2, 38, 39, _DINERS),
    ("visa", 1, 4, 4, (13, 16, 19)),
    ("verve", 6, 506099, 506198, _SWITCH),
    ("verve", 6, 507865, 507964, _SWITCH),
    ("dankort", 4, 5019, 5019, (16,)),
    ("rupay", 3, 508, 508, (16,)),
    ("maestro", 2, 50, 50, _ANY),
    ("mastercard", 2, 51, 55, (16,)),
    ("discover", 4, 6011, 6011, _LONG),
    ("rupay", 2, 60, 60, (16,)),
    ("unionpay", 2, 62, 62, _LONG),
    ("interpayment", 3, 636, 636, _LONG),
    ("instapayment", 3, 637, 639, (16,)),
    ("discover", 3, 644, 649, _LONG),
    ("verve", 6, 650002, 650027, _SWITCH),
    ("discover", 2, 65, 65, _LONG),  # Troy and RuPay issue in 65 too
    ("maestro", 2, 56, 69, _ANY),  # Bankcard, UkrCard, Elo, Hipercard... and Maestro
    ("rupay", 2, 81, 82, (16,)),
    ("uzcard", 4, 8600, 8600, (16,)),
    ("napas", 4, 9704, 9704, (16, 19)),
    ("troy", 4, 9792, 9792, (16,)),
    ("humo", 4, 9860, 9860, (16,)),
)
_PREFIX_WIDTH = 6  # the widest prefix in BRANDS


def _by_two_digits() -> dict[str, tuple[tuple[int, int, frozenset[int], str], ...]]:
    """For each two-digit start, the ranges that can hold it as (lowest, highest) six-digit
    prefixes, narrowest first, so that the first range holding a number's prefix and
    length decides and a lookup compares integers only."""
    table: dict[str, list[tuple[int, int, int, frozenset[int], str]]] = {}
    for brand, width, low, high, lengths in BRANDS:
        scale = 10 ** (_PREFIX_WIDTH - width)
        lowest, highest = low * scale, (high + 1) * scale - 1
        for two in range(10, 100):
            if two * 10**4 <= highest and lowest < (two + 1) * 10**4:
                table.setdefault(str(two), []).append(
                    (width, lowest, highest, frozenset(lengths), brand)
                )
    return {
        two: tuple((low, high, lengths, brand) for _, low, high, lengths, brand in
                   sorted(ranges, key=lambda r: -r[0]))
        for two, ranges in table.items()
    }  # fmt: skip


_BRANDS_BY_TWO_DIGITS = _by_two_digits()


def brand_of(digits: str) -> str | None:
    """The card brand whose prefix and length fit these digits, or None."""
    ranges = _BRANDS_BY_TWO_DIGITS.get(digits[:2])
    if ranges is None:
        return None
    prefix = int(digits[:_PREFIX_WIDTH].ljust(_PREFIX_WIDTH, "0"))
    length = len(digits)
    for low, high, lengths, brand in ranges:
        if low <= prefix <= high and length in lengths:
            return brand
    return None


# A digit group inside a run: (ASCII digits, start, end, follows a line break).
Piece = tuple[str, int, int, bool]


def _ascii_digits(text: str) -> str:
    if text.isascii():
        return text
    # Arabic-Indic (۴۱۱۱…) and other decimal digits are still card numbers.
    return "".join(str(unicodedata.digit(ch)) for ch in text)


def _alone(text: str, start: int, end: int) -> bool:
    """No other number written just before or after ``text[start:end]``."""
    before = _DIGIT_BEFORE.search(text, max(0, start - 8), start)
    return before is None and _DIGIT_AFTER.match(text, end, end + 8) is None


def _short_card_written_alone(groups: list[int], alone: bool) -> bool:
    """A twelve-digit number stands alone, written in fours (or together)."""
    return alone and (len(groups) == 1 or all(length % 4 == 0 for length in groups))


def _written_groups(pieces: list[Piece], i: int, j: int) -> list[int]:
    """Lengths of the groups as written, treating a line break as no separator at all."""
    lengths = [len(pieces[i][0])]
    for k in range(i + 1, j + 1):
        if pieces[k][3]:
            lengths[-1] += len(pieces[k][0])
        else:
            lengths.append(len(pieces[k][0]))
    return lengths


def _card_in(pieces: list[Piece], i: int, j: int, digits: str, alone: bool) -> str | None:
    brand = brand_of(digits)
    if brand is None:
        return None
    groups = _written_groups(pieces, i, j)
    if len(digits) < MIN_DIGITS_IN_A_RUN:
        whole = alone and i == 0 and j == len(pieces) - 1
        if not _short_card_written_alone(groups, whole):
            return None
    if j > i:
        # The first group has four digits or more and every other group but the last
        # three or more: rules out dates, phone numbers written 300 1234567, the 5-7-1
        # CNIC (its final group is one digit) and lists of short numbers.
        if groups[0] < 4 or any(length < 3 for length in groups[1:-1]):
            return None
        if len(groups) == 3 and groups[2] == 1 and groups[0] == 5 and groups[1] == 7:
            return None
    if j + 1 < len(pieces) and pieces[j + 1][3] and groups[-1] < 4:
        # The next line goes on with this group: a card ends only after a whole group.
        return None
    return brand if luhn_valid(digits) else None


def _cards_in_run(pieces: list[Piece], alone: bool) -> list[CardFinding]:
    findings: list[CardFinding] = []
    i = 0
    while i < len(pieces):
        # A card starts a written group with a scheme's first digit, never just after a line
        # break, which joins what it splits.
        if pieces[i][0][0] not in _BRAND_FIRST_DIGITS or pieces[i][3]:
            i += 1
            continue
        best: tuple[int, str, str] | None = None
        digits = ""
        for j in range(i, len(pieces)):
            digits += pieces[j][0]
            if len(digits) > MAX_DIGITS:
                break
            if len(digits) >= MIN_DIGITS:
                brand = _card_in(pieces, i, j, digits, alone)
                if brand is not None:
                    best = (j, brand, digits)
        if best is None:
            i += 1
            continue
        j, brand, digits = best
        findings.append(CardFinding(pieces[i][1], pieces[j][2], brand, len(digits), digits[-4:]))
        i = j + 1
    return findings


def _whole_run(
    groups: list[str], total: int, start: int, end: int, alone: bool
) -> CardFinding | None:
    """The run as one card (groups as written, no line breaks), or None."""
    if total > MAX_DIGITS:
        return None
    if total < MIN_DIGITS_IN_A_RUN and not _short_card_written_alone(
        [len(g) for g in groups], alone
    ):
        return None
    # The written grouping first: it costs the least and rules out most runs.
    if len(groups[0]) < 4 or any(len(g) < 3 for g in groups[1:-1]):
        return None
    if len(groups) == 3 and (len(groups[0]), len(groups[1]), len(groups[2])) == (5, 7, 1):
        return None
    digits = _ascii_digits("".join(groups))
    brand = brand_of(digits)
    if brand is None or not luhn_valid(digits):
        return None
    return CardFinding(start, end, brand, total, digits[-4:])


def find_cards(text: str) -> list[CardFinding]:
    """Every card number in ``text``, in order, non-overlapping."""
    findings: list[CardFinding] = []
    for m in _CANDIDATE.finditer(text):
        start, end = m.span()
        if end - start < MIN_DIGITS:
            continue
        run = m.group()
        if run.isdigit():
            # The common case: the digits written together.
            if end - start > MAX_DIGITS:
                continue
            digits = _ascii_digits(run)
            brand = brand_of(digits)
            if brand is not None and end - start < MIN_DIGITS_IN_A_RUN:
                brand = brand if _alone(text, start, end) else None
            if brand is not None and luhn_valid(digits):
                findings.append(CardFinding(start, end, brand, len(digits), digits[-4:]))
            continue
        if "\n" not in run:
            groups = _DIGITS.findall(run)
            total = sum(map(len, groups))
            if total < MIN_DIGITS:
                continue
            if total - min(len(groups[0]), len(groups[-1])) < MIN_DIGITS_IN_A_RUN:
                # Only the whole run can be a card: any shorter stretch leaves out its first
                # or last group, and twelve digits count only as a whole run standing alone.
                # Checking it at once spares trying every stretch (a 4-4-4-4 run is here).
                alone = total == MIN_DIGITS and _alone(text, start, end)
                finding = _whole_run(groups, total, start, end, alone)
                if finding is not None:
                    findings.append(finding)
                continue
        pieces: list[Piece] = []
        previous_end = 0
        for d in _DIGITS.finditer(run):
            after_line_break = bool(pieces) and "\n" in run[previous_end : d.start()]
            pieces.append(
                (_ascii_digits(d.group()), start + d.start(), start + d.end(), after_line_break)
            )
            previous_end = d.end()
        total = sum(len(piece[0]) for piece in pieces)
        if total >= MIN_DIGITS:
            # Standing alone matters only to a run of exactly twelve digits (see _card_in).
            alone = total == MIN_DIGITS and _alone(text, start, end)
            findings.extend(_cards_in_run(pieces, alone))
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
