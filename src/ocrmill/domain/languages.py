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
    # the models for text set in vertical lines (tesseract-ocr-jpn-vert, ...)
    "chi_sim_vert": "ChineseSimplifiedVertical", "chi_tra_vert": "ChineseTraditionalVertical",
    "jpn_vert": "JapaneseVertical", "kor_vert": "KoreanVertical",
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


# ISO 639-1 codes of the Tesseract languages that have one; BCP 47 uses them where they exist.
_ISO_639_1: dict[str, str] = {
    "afr": "af", "amh": "am", "ara": "ar", "asm": "as", "aze": "az", "bel": "be", "ben": "bn", "bos": "bs",
    "bre": "br", "bul": "bg", "cat": "ca", "ces": "cs", "cos": "co", "cym": "cy", "dan": "da", "deu": "de",
    "div": "dv", "dzo": "dz", "ell": "el", "eng": "en", "epo": "eo", "est": "et", "eus": "eu", "fao": "fo",
    "fas": "fa", "fin": "fi", "fra": "fr", "fry": "fy", "gla": "gd", "gle": "ga", "glg": "gl", "guj": "gu",
    "hat": "ht", "heb": "he", "hin": "hi", "hrv": "hr", "hun": "hu", "hye": "hy", "iku": "iu", "ind": "id",
    "isl": "is", "ita": "it", "jav": "jv", "jpn": "ja", "kan": "kn", "kat": "ka", "kaz": "kk", "khm": "km",
    "kir": "ky", "kor": "ko", "lao": "lo", "lat": "la", "lav": "lv", "lit": "lt", "ltz": "lb", "mal": "ml",
    "mar": "mr", "mkd": "mk", "mlt": "mt", "mon": "mn", "mri": "mi", "msa": "ms", "mya": "my", "nep": "ne",
    "nld": "nl", "nor": "no", "oci": "oc", "ori": "or", "pan": "pa", "pol": "pl", "por": "pt", "pus": "ps",
    "que": "qu", "ron": "ro", "rus": "ru", "san": "sa", "sin": "si", "slk": "sk", "slv": "sl", "snd": "sd",
    "spa": "es", "sqi": "sq", "srp": "sr", "sun": "su", "swa": "sw", "swe": "sv", "tam": "ta", "tat": "tt",
    "tel": "te", "tgk": "tg", "tha": "th", "tir": "ti", "ton": "to", "tur": "tr", "uig": "ug", "ukr": "uk",
    "urd": "ur", "uzb": "uz", "vie": "vi", "yid": "yi", "yor": "yo",
    "chi_sim": "zh-Hans", "chi_tra": "zh-Hant", "srp_latn": "sr-Latn", "frk": "de", "fil": "fil",
    "chi_sim_vert": "zh-Hans", "chi_tra_vert": "zh-Hant", "jpn_vert": "ja", "kor_vert": "ko",
}  # fmt: skip


def bcp47(value: str) -> str:
    """The BCP 47 tag (as PDF /Lang, EPUB and HTML want it) of the first language of a job's
    RecognitionLanguages, given by English name or Tesseract code; "und" (undetermined) if unknown."""
    first = re.split(r"[;,+]", value.strip())[0].strip().lower() if value.strip() else ""
    code = first if first in NAMES else _BY_NAME.get(first, "")
    return _ISO_639_1.get(code, code or "und")
