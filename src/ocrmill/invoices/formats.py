"""Reading printed values: amounts and quantities (dates, ids and the rest are added alongside)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_AMOUNT = re.compile(
    r"""^\s*(?P<neg>[-\u2212\u2013(])?\s*
    (?P<num>\d{1,3}(?:[.,'\u2019\u202f\u00a0 ]\d{3})+(?:[.,]\d{1,4})?|\d+(?:[.,]\d{1,4})?|[.,]\d{1,2})
    \s*(?P<trail>-|\))?\s*$""",
    re.VERBOSE,
)


def parse_amount(text: str) -> Decimal | None:
    """A printed amount as a Decimal, whichever decimal mark it uses: "1.234,50", "1,234.50", "1 234,50",
    "1234.5", "-12,00", "(12.00)", "12.00-". Currency signs and codes around it are ignored. None when the
    text is not one amount."""
    cleaned = re.sub(r"(?i)^[^\d\-\u2212\u2013(.,]*|[^\d)\-.,]*$", "", text.strip())  # "EUR 12,00 €" -> "12,00"
    cleaned = cleaned.replace("O", "0") if re.fullmatch(r"[\dO.,]+", cleaned) else cleaned
    match = _AMOUNT.match(cleaned)
    if match is None:
        return None
    number = match["num"]
    separators = re.findall(r"[.,'\u2019\u202f\u00a0 ]", number)
    if not separators:
        digits = number
    else:
        last = separators[-1]
        tail = number.rsplit(last, 1)[1]
        grouped = len(separators) > 1 and len(set(separators)) == 1 and last not in ".,"
        if last in ".," and (len(tail) != 3 or (len(separators) > 1 and separators.count(last) == 1)):
            digits = re.sub(r"[.,'\u2019\u202f\u00a0 ]", "", number[: -len(tail) - 1]) + "." + tail  # decimal mark
        elif last in ".," and len(separators) == 1 and len(tail) == 3:
            digits = number.replace(last, "")  # "1.234" or "1,234": a thousands separator
        else:
            digits = re.sub(r"[.,'\u2019\u202f\u00a0 ]", "", number) if grouped or last not in ".," else number
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    negative = bool(match["neg"]) or match["trail"] == "-"
    return -value if negative else value


def amount_str(value: Decimal) -> str:
    """The normalised form of an amount: at least two decimals, no exponent ("1234.50", "-3.00")."""
    quantized = value.quantize(Decimal("0.01")) if _exp(value) > -2 else value
    return format(quantized, "f")


def quantity_str(value: Decimal) -> str:
    """The normalised form of a quantity: no needless zeros ("2", "1.5")."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _exp(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0
