"""Reading printed values: amounts, quantities, dates, currencies, IBANs, BICs and VAT ids."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
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


# --- dates ---------------------------------------------------------------------------------------------------

MONTHS = {
    # English
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
    # German
    "januar": 1, "jänner": 1, "jän": 1, "februar": 2, "märz": 3, "maerz": 3, "mrz": 3, "mai": 5, "juni": 6,
    "juli": 7, "okt": 10, "oktober": 10, "dez": 12, "dezember": 12,
    # French
    "janv": 1, "janvier": 1, "févr": 2, "fevr": 2, "février": 2, "fevrier": 2, "mars": 3, "avr": 4, "avril": 4,
    "juin": 6, "juil": 7, "juillet": 7, "août": 8, "aout": 8, "déc": 12, "décembre": 12, "decembre": 12,
    "septembre": 9, "octobre": 10, "novembre": 11,
    # Dutch and Malay forms seen on receipts
    "mei": 5, "maart": 3, "okt.": 10, "ogos": 8, "dis": 12, "mac": 3, "dec.": 12,
}  # fmt: skip
_MONTH = r"(?P<mon>[A-Za-zÄÖÜäöüÉéÛûè]{3,9})\.?"
_SEP = r"[./\-]"
DATE_PATTERNS = (
    # 2018-03-05, 2018/3/5
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)(?P<s>[./\-])(?P<a>\d{1,2})(?P=s)(?P<b>\d{1,2})(?!\d|(?P=s)\d)"),
    # 05.03.2018, 5/3/18, 05-03-2018
    re.compile(
        r"(?<![\d.])(?P<a>\d{1,2})\s?(?P<s>[./\-])\s?(?P<b>\d{1,2})\s?(?P=s)\s?(?P<y>\d{4}|\d{2})(?!\d|(?P=s)\d)"
    ),
    # 5 March 2018, 05-Mar-18, 5. März 2018, 12 JAN, 2018
    re.compile(
        r"(?<!\d)(?P<d>\d{1,2})(?:st|nd|rd|th|er)?\.?[\s\-/]*" + _MONTH + r"[\s\-/,]*(?P<y>(?:19|20)\d\d|\d\d)(?!\d)"
    ),
    # March 5, 2018; Mar 05 2018
    re.compile(_MONTH + r"\s*(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s*(?P<y>(?:19|20)\d\d)(?!\d)"),
    # 20180305
    re.compile(r"(?<!\d)(?P<y>20\d\d)(?P<a>[01]\d)(?P<b>[0-3]\d)(?!\d)"),
    # 05032018: day and month first, as printed without separators (or as an OCR that lost them read it)
    re.compile(r"(?<!\d)(?P<a>[0-3]\d)(?P<b>[0-3]\d)(?P<y>20\d\d)(?!\d)"),
)


def find_date(text: str, *, day_first: bool = True) -> tuple[date, tuple[int, int]] | None:
    """The first valid date printed in `text` and where it is (start, end); numeric dates in either order,
    month names in English, German and French, 2-digit years (taken as 19xx from 70 on, else 20xx), eight
    digits year first or day first ("20180305", "05032018"). day_first decides "03/05/2018" (5 March when False);
    an order that cannot be a date is not forced. A date's groups end with its year: "05.22.95.66.66" (a phone
    number in pairs) holds none."""
    found: list[tuple[int, int, date]] = []
    for index, pattern in enumerate(DATE_PATTERNS):
        for match in pattern.finditer(text):
            value = _date_of(match, day_first=day_first, compact=index == 4)
            if value is not None:
                found.append((match.start(), -(match.end() - match.start()), value))
    if not found:
        return None
    start, negative_length, value = min(found)
    return value, (start, start - negative_length)


def parse_date(text: str, *, day_first: bool = True) -> str | None:
    """A printed date as ISO YYYY-MM-DD (see find_date), or None when the text holds no date."""
    found = find_date(text, day_first=day_first)
    return found[0].isoformat() if found else None


def _date_of(match: re.Match[str], *, day_first: bool, compact: bool) -> date | None:
    groups = match.groupdict()
    year = _year(groups["y"])
    if year is None:
        return None
    if groups.get("mon") is not None:
        month = MONTHS.get(groups["mon"].lower().rstrip("."))
        return _valid(year, month, int(groups["d"])) if month else None
    a, b = int(groups["a"]), int(groups["b"])
    if compact or (len(groups["y"]) == 4 and match.start("y") < match.start("a")):
        return _valid(year, a, b)  # year first: always year-month-day
    first = _valid(year, b, a) if day_first else _valid(year, a, b)
    return first or (_valid(year, a, b) if day_first else _valid(year, b, a))


def _year(text: str) -> int | None:
    value = int(text)
    if len(text) == 2:
        return 1900 + value if value >= 70 else 2000 + value
    return value if 1970 <= value <= 2099 else None


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# --- currencies ----------------------------------------------------------------------------------------------

CURRENCY_CODES = frozenset(
    [
        "EUR",
        "USD",
        "GBP",
        "CHF",
        "JPY",
        "CNY",
        "INR",
        "PLN",
        "CZK",
        "DKK",
        "SEK",
        "NOK",
        "HUF",
        "RON",
        "BGN",
        "HRK",
        "MYR",
        "SGD",
        "AUD",
        "CAD",
        "NZD",
        "HKD",
        "ZAR",
        "BRL",
        "MXN",
        "TRY",
        "RUB",
        "AED",
        "SAR",
        "THB",
        "IDR",
        "PHP",
        "KRW",
        "TWD",
        "VND",
        "ILS",
    ]
)
CURRENCY_SIGNS = {
    "€": "EUR", "$": "USD", "US$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "RS": "INR", "RS.": "INR",
    "ZŁ": "PLN", "ZL": "PLN", "RM": "MYR", "FR.": "CHF", "SFR": "CHF", "S$": "SGD", "A$": "AUD", "C$": "CAD",
    "EURO": "EUR", "EUROS": "EUR", "KČ": "CZK", "KR": "SEK",
}  # fmt: skip


SHORT_SIGNS = ("RM", "RS")  # two-letter signs that are no word: ringgit, rupees ("Rs -40.00")


def parse_currency(text: str) -> str | None:
    """The ISO 4217 code a currency sign, code or name stands for ("€" -> "EUR", "RM" -> "MYR"), or None."""
    token = text.strip().strip(":()[]").upper()
    if token in CURRENCY_CODES:
        return token
    return CURRENCY_SIGNS.get(token)


def find_currency(text: str) -> str | None:
    """The currency named in a line of text: a sign anywhere, or a code or name as a word of its own. A code is
    printed in capitals: in lower case "try", "php" and "cad" are words ("we try to deliver")."""
    for sign in ("€", "£", "₹", "¥"):
        if sign in text:
            return CURRENCY_SIGNS[sign]
    for token in re.findall(r"[A-Za-zŁłČč$.]+", text):
        code = parse_currency(token) if len(token) >= 3 or token.upper() in SHORT_SIGNS else None
        if code is not None and (token.isupper() or token.upper() not in CURRENCY_CODES):
            return code
    return None


# --- bank and tax identifiers --------------------------------------------------------------------------------

IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21,
    "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18,
    "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23,
    "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27,
    "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29,
    "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26,
    "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip


def compact_id(text: str) -> str:
    """An identifier as printed, upper case without spaces, dots, dashes or slashes."""
    return re.sub(r"[\s.\-/]", "", text).upper()


def _mod97(text: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in text)) % 97


def valid_iban(text: str) -> bool:
    """An IBAN (spaces allowed) of its country's length whose ISO 13616 mod-97 check holds."""
    iban = compact_id(text)
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", iban):
        return False
    if IBAN_LENGTHS.get(iban[:2], len(iban)) != len(iban):
        return False
    return _mod97(iban[4:] + iban[:4]) == 1


# Look-alikes the OCR reads for a digit, and for a capital letter, where the format allows only the other
_AS_DIGIT = str.maketrans("OQDILZSBGTA", "00011258674")
_AS_LETTER = str.maketrans("0125867", "OIZSBGT")


def mended_iban(text: str) -> str | None:
    """An IBAN read with a look-alike in its country code or its check digits ("NLSO INGB ..." for "NL50 INGB
    ..."): the normalised IBAN with those four characters put right when the mod-97 check then holds, else None.
    The format fixes what those characters are (two letters, two digits), and the check tells a right mending
    from a wrong one; the account part, where letters and digits mix, is left as read. Only for a country whose
    IBAN length is known and an account part mostly of digits, as every country's is: words run together pass
    a mod-97 check one time in 97 ("06.12.2018 den Beitrag" would otherwise be one)."""
    iban = compact_id(text)
    if len(iban) < 12:
        return None
    mended = iban[:2].translate(_AS_LETTER) + iban[2:4].translate(_AS_DIGIT) + iban[4:]
    account = mended[4:]
    if mended == iban or mended[:2] not in IBAN_LENGTHS or sum(ch.isdigit() for ch in account) < 0.6 * len(account):
        return None
    return mended if valid_iban(mended) else None


def parse_iban(text: str) -> str | None:
    """The normalised IBAN (upper case, no spaces) when the text is a valid one, else None."""
    iban = compact_id(text)
    return iban if valid_iban(iban) else None


def parse_bic(text: str) -> str | None:
    """A BIC (ISO 9362: bank, country, location, optional branch; 8 or 11 characters) upper case, or None."""
    bic = compact_id(text)
    if re.fullmatch(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?", bic) and bic[4:6] in IBAN_LENGTHS | {"US": 0}:
        return bic
    return None


VAT_SHAPES = {
    "AT": r"ATU\d{8}",
    "BE": r"BE[01]\d{9}",
    "BG": r"BG\d{9,10}",
    "CH": r"CHE\d{9}(?:MWST|TVA|IVA)?",
    "CY": r"CY\d{8}[A-Z]",
    "CZ": r"CZ\d{8,10}",
    "DE": r"DE\d{9}",
    "DK": r"DK\d{8}",
    "EE": r"EE\d{9}",
    "EL": r"EL\d{9}",
    "ES": r"ES[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"FI\d{8}",
    "FR": r"FR[A-HJ-NP-Z0-9]{2}\d{9}",
    "GB": r"GB(?:\d{9}|\d{12}|GD\d{3}|HA\d{3})",
    "HR": r"HR\d{11}",
    "HU": r"HU\d{8}",
    "IE": r"IE\d[A-Z0-9+*]\d{5}[A-Z]{1,2}",
    "IT": r"IT\d{11}",
    "LT": r"LT(?:\d{9}|\d{12})",
    "LU": r"LU\d{8}",
    "LV": r"LV\d{11}",
    "MT": r"MT\d{8}",
    "NL": r"NL\d{9}B\d{2}",
    "PL": r"PL\d{10}",
    "PT": r"PT\d{9}",
    "RO": r"RO\d{2,10}",
    "SE": r"SE\d{12}",
    "SI": r"SI\d{8}",
    "SK": r"SK\d{10}",
}


def vat_checksum(vat: str) -> bool | None:
    """Whether a compact VAT id's check digits hold: True or False for countries with a published check
    (DE, AT, FR, IT, BE, NL), None where only the shape is known."""
    country, body = vat[:2], vat[2:]
    checks: dict[str, Callable[[str], bool]] = {
        "DE": _vat_de,
        "AT": _vat_at,
        "FR": _vat_fr,
        "IT": _luhn,
        "BE": _vat_be,
        "NL": lambda b: _vat_nl(vat),
    }
    check = checks.get(country)
    return check(body) if check else None


def parse_vat_id(text: str, *, checked: bool = True) -> str | None:
    """A VAT identification number normalised (upper case, no spaces or dots: "DE123456789") when it has its
    country's shape and, with `checked`, its check digits hold where the country publishes them."""
    vat = compact_id(text)
    shape = VAT_SHAPES.get(vat[:2])
    if shape is None or not re.fullmatch(shape, vat):
        return None
    if checked and vat_checksum(vat) is False:
        return None
    return vat


def _vat_de(body: str) -> bool:
    product = 10
    for digit in body[:8]:
        total = (int(digit) + product) % 10 or 10
        product = (2 * total) % 11
    check = 11 - product
    return (0 if check == 10 else check) == int(body[8])


def _vat_at(body: str) -> bool:
    digits = [int(d) for d in body[1:]]
    total = 0
    for i, d in enumerate(digits[:7]):
        total += d if i % 2 == 0 else (2 * d) // 10 + (2 * d) % 10
    return (10 - (total + 4) % 10) % 10 == digits[7]


def _vat_fr(body: str) -> bool:
    key, siren = body[:2], body[2:]
    if not key.isdigit():
        return True  # the newer alphanumeric keys have no public check
    return int(key) == (12 + 3 * (int(siren) % 97)) % 97


def _luhn(body: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _vat_be(body: str) -> bool:
    return 97 - int(body[:8]) % 97 == int(body[8:])


def _vat_nl(vat: str) -> bool:
    digits = vat[2:11]
    weighted = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) % 11
    return weighted == int(digits[8]) or _mod97(vat) == 1
