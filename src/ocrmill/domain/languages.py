"""Recognition languages by their English names (as the API names them) and Tesseract codes."""

from __future__ import annotations

import re

from ocrmill.errors import InvalidProperty

NAMES: dict[str, str] = {
    "afr": "Afrikaans", "amh": "Amharic", "ara": "Arabic", "asm": "Assamese", "aze": "Azerbaijani",
    "bel": "Belarusian", "ben": "Bengali", "bos": "Bosnian", "bre": "Breton", "bul": "Bulgarian",
    "cat": "Catalan", "ceb": "Cebuano", "ces": "Czech", "chi_sim": "ChineseSimplified",
    "chi_tra": "ChineseTraditional", "chr": "Cherokee", "cos": "Corsican", "cym": "Welsh", "dan": "Danish",
    "deu": "German", "div": "Dhivehi", "dzo": "Dzongkha", "ell": "Greek", "eng": "English",
    "enm": "MiddleEnglish", "epo": "Esperanto", "est": "Estonian", "eus": "Basque", "fao": "Faroese",
    "fas": "Persian", "fil": "Filipino", "fin": "Finnish", "fra": "French", "frk": "Fraktur",
    "frm": "MiddleFrench", "fry": "WesternFrisian", "gla": "ScottishGaelic", "gle": "Irish",
    "glg": "Galician", "grc": "AncientGreek", "guj": "Gujarati", "hat": "Haitian", "heb": "Hebrew",
    "hin": "Hindi", "hrv": "Croatian", "hun": "Hungarian", "hye": "Armenian", "iku": "Inuktitut",
    "ind": "Indonesian", "isl": "Icelandic", "ita": "Italian", "jav": "Javanese", "jpn": "Japanese",
    "kan": "Kannada", "kat": "Georgian", "kaz": "Kazakh", "khm": "Khmer", "kir": "Kyrgyz",
    "kor": "Korean", "lao": "Lao", "lat": "Latin", "lav": "Latvian", "lit": "Lithuanian",
    "ltz": "Luxembourgish", "mal": "Malayalam", "mar": "Marathi", "mkd": "Macedonian", "mlt": "Maltese",
    "mon": "Mongolian", "mri": "Maori", "msa": "Malay", "mya": "Burmese", "nep": "Nepali",
    "nld": "Dutch", "nor": "Norwegian", "oci": "Occitan", "ori": "Oriya", "pan": "Punjabi",
    "pol": "Polish", "por": "Portuguese", "pus": "Pashto", "que": "Quechua", "ron": "Romanian",
    "rus": "Russian", "san": "Sanskrit", "sin": "Sinhala", "slk": "Slovak", "slv": "Slovenian",
    "snd": "Sindhi", "spa": "Spanish", "sqi": "Albanian", "srp": "Serbian", "srp_latn": "SerbianLatin",
    "sun": "Sundanese", "swa": "Swahili", "swe": "Swedish", "syr": "Syriac", "tam": "Tamil",
    "tat": "Tatar", "tel": "Telugu", "tgk": "Tajik", "tha": "Thai", "tir": "Tigrinya", "ton": "Tonga",
    "tur": "Turkish", "uig": "Uyghur", "ukr": "Ukrainian", "urd": "Urdu", "uzb": "Uzbek",
    "vie": "Vietnamese", "yid": "Yiddish", "yor": "Yoruba",
}  # fmt: skip

_BY_NAME: dict[str, str] = {name.lower(): code for code, name in NAMES.items()}
# Spellings clients use for the same languages.
_BY_NAME.update({"chinese": "chi_sim", "portugese": "por", "farsi": "fas", "slovene": "slv"})


def english_names(codes: list[str]) -> list[str]:
    """English names of the installed Tesseract codes that are recognition languages, sorted."""
    return sorted(NAMES[c] for c in codes if c in NAMES)


def parse(value: str, *, installed: set[str]) -> list[str]:
    """Tesseract codes for a comma or semicolon separated list of English names (or codes)."""
    codes: list[str] = []
    for part in re.split(r"[;,]", value):
        name = part.strip()
        if not name:
            continue
        code = _BY_NAME.get(name.lower().replace(" ", "")) or (name if name in NAMES else None)
        if code is None:
            raise InvalidProperty("RecognitionLanguages", f"unknown language {name!r}")
        if code not in installed:
            raise InvalidProperty("RecognitionLanguages", f"language {name!r} is not installed on this server")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise InvalidProperty("RecognitionLanguages", "names no language")
    return codes
