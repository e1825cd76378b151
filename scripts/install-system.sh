#!/usr/bin/env bash
# Installs the system packages ocrmill needs (Debian 12). Idempotent: does nothing when all are present.
# With --tests also what only the test suite uses (LibreOffice, EPUBCheck, Chromium): `make test` asks for them,
# `make run` does not.
# More recognition languages: OCRMILL_LANGS (or `make run LANGS=...`) lists Tesseract codes, e.g. "chi_sim jpn ara"
# (each is Debian's tesseract-ocr-<code> with - for _: chi_sim -> tesseract-ocr-chi-sim), or is "all" for every
# language Debian has (tesseract-ocr-all, about 650 MB). The `languages` action offers whatever is installed.
set -euo pipefail

packages=(
  tesseract-ocr tesseract-ocr-osd
  # the most used European languages (and Turkish): the `languages` action offers what is installed
  tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-ita tesseract-ocr-spa
  tesseract-ocr-nld tesseract-ocr-por tesseract-ocr-pol tesseract-ocr-rus tesseract-ocr-ukr
  tesseract-ocr-ron tesseract-ocr-ces tesseract-ocr-hun tesseract-ocr-swe tesseract-ocr-ell
  tesseract-ocr-bul tesseract-ocr-dan tesseract-ocr-fin tesseract-ocr-slk tesseract-ocr-hrv
  tesseract-ocr-nor tesseract-ocr-srp tesseract-ocr-lit tesseract-ocr-slv tesseract-ocr-lav
  tesseract-ocr-est tesseract-ocr-cat tesseract-ocr-tur
  ghostscript unpaper pngquant qpdf poppler-utils
  # LightGBM's wheel (the invoice field ranker) links OpenMP's runtime
  libgomp1
  postgresql
)
wanted="${OCRMILL_LANGS:-}"
read -r -a langs <<< "${wanted//,/ }"
for lang in "${langs[@]}"; do
  if [ "$lang" = "all" ]; then
    packages+=(tesseract-ocr-all)
  elif [[ "$lang" =~ ^[A-Za-z][A-Za-z_-]*$ ]]; then
    lang="${lang,,}"
    packages+=("tesseract-ocr-${lang//_/-}")
  else
    echo "OCRMILL_LANGS: '$lang' is no Tesseract language code (such as chi_sim, jpn_vert or ara) nor 'all'" >&2
    exit 2
  fi
done
if [ "${1:-}" = "--tests" ]; then
  packages+=(
    # the tests read Chinese, Japanese (also in vertical lines), Korean, Arabic and Hebrew pages they render with
    # Noto CJK and DejaVu (fonts-dejavu-core, below, has the Arabic and Hebrew letters)
    tesseract-ocr-chi-sim tesseract-ocr-jpn tesseract-ocr-jpn-vert tesseract-ocr-kor tesseract-ocr-ara
    tesseract-ocr-heb fonts-noto-cjk
    # the tests open DOCX, ODT and RTF outputs with LibreOffice, as a reader would
    libreoffice-writer-nogui fonts-dejavu-core
    # and EPUB outputs with the W3C's EPUBCheck (a Java program)
    epubcheck
    # the web console's browser tests (Playwright drives Debian's Chromium; no browser downloads)
    chromium
  )
fi

# Debian's own python3 needs python3-venv for `python3 -m venv`.
python3 -c "import ensurepip, venv" 2>/dev/null || packages+=(python3-venv)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
