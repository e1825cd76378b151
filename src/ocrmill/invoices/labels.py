"""The words invoices print before their values, in English, German and French (and the Malay and Dutch ones
that receipts and Benelux invoices use), each with how strongly it points at its field.

Labels are matched on whole words after `label_key` (case-folded, accents and punctuation dropped, words
joined without spaces), so "USt.-Id.-Nr.:" is "ustidnr" and "N° de facture" is "ndefacture". A longer label
found at the same place wins over a shorter one inside it ("Due date" over "date"); the IGNORE phrases are
labels of things that are not fields, there to win that way ("Lieferdatum", "Total Qty").
"""

from __future__ import annotations

import re

from ocrmill.domain.scripts import unaccented

# field -> {phrase: weight}; weight 1.0 = this label names the field unambiguously.
LABELS: dict[str, dict[str, float]] = {
    "invoiceNumber": {
        "invoice no": 1.0, "invoice number": 1.0, "invoice nr": 1.0, "invoice #": 1.0, "invoice": 0.5,
        "inv no": 0.9, "invoice id": 0.9, "bill no": 0.8, "receipt no": 0.8, "receipt #": 0.8, "doc no": 0.6,
        "document no": 0.7, "tax invoice no": 1.0, "credit note no": 1.0,
        "rechnungsnummer": 1.0, "rechnungsnr": 1.0, "rechnung nr": 1.0, "rechnungs nr": 1.0, "rechnung #": 1.0,
        "rechnung": 0.5, "belegnummer": 0.9,
        "belegnr": 0.9, "gutschriftsnummer": 1.0, "gutschrift nr": 1.0, "rechnungsnummer/datum": 0.8,
        "numero de facture": 1.0, "n de facture": 1.0, "no de facture": 1.0, "facture n": 1.0, "facture no": 1.0,
        "numero facture": 1.0, "facture #": 1.0, "facture": 0.5,
        "n facture": 1.0, "ref facture": 0.8, "factuurnummer": 1.0, "factuurnr": 1.0,
        "nr": 0.45, "no": 0.4, "n": 0.35, "#": 0.35, "nummer": 0.3,
    },
    "invoiceDate": {
        "invoice date": 1.0, "date of invoice": 1.0, "issue date": 0.95, "date of issue": 0.95, "bill date": 0.9,
        "date": 0.7, "dated": 0.7, "tarikh": 0.7, "datum": 0.7, "rechnungsdatum": 1.0, "belegdatum": 0.9,
        "ausstellungsdatum": 0.95, "ausgestellt am": 0.9, "vom": 0.45, "date de facture": 1.0,
        "date facture": 1.0, "date de facturation": 1.0, "date d emission": 0.95, "du": 0.35, "le": 0.3,
        "factuurdatum": 1.0, "invoice date/tax point": 1.0, "receipt date": 0.9, "trans date": 0.8,
        "issued at": 0.8, "issued on": 0.8, "date issued": 0.95,
    },
    "dueDate": {
        "due date": 1.0, "payment due": 0.9, "due": 0.6, "pay by": 0.8, "payment date": 0.6, "due on": 0.9,
        "falligkeit": 0.9, "falligkeitsdatum": 1.0, "fallig am": 1.0, "fallig bis": 1.0, "zahlbar bis": 0.9,
        "zahlungsziel": 0.7, "date d echeance": 1.0, "echeance": 0.9, "date limite de paiement": 1.0,
        "a payer avant le": 0.9, "vervaldatum": 1.0, "remit until": 0.9, "please remit until": 1.0,
        "payable until": 0.9, "pay until": 0.9, "payable by": 0.9,
    },
    "purchaseOrder": {
        "purchase order": 1.0, "purchase order no": 1.0, "po number": 1.0, "po no": 1.0, "po #": 1.0, "po": 0.7,
        "order no": 0.8, "order number": 0.8, "order #": 0.8, "your order": 0.8, "order id": 0.7,
        "bestellnummer": 1.0, "bestellnr": 1.0, "bestellung nr": 0.9, "ihre bestellung": 0.8, "auftragsnummer": 0.8,
        "auftragsnr": 0.8, "bon de commande": 1.0, "n de commande": 0.9, "numero de commande": 0.9,
        "commande n": 0.9, "ordernummer": 0.8, "bestelnummer": 0.9,
    },
    "currency": {"currency": 1.0, "wahrung": 1.0, "devise": 1.0, "monnaie": 0.9, "valuta": 0.8},
    "subtotal": {
        "subtotal": 1.0, "sub total": 1.0, "sub-total": 1.0, "net amount": 0.9, "net total": 0.6, "total net": 0.8,
        "total excl vat": 1.0, "total excl tax": 1.0, "total excluding vat": 1.0, "total before tax": 1.0,
        "total excluding gst": 1.0, "total excl gst": 1.0, "amount excl gst": 0.9, "total sales excluding gst": 1.0,
        "total sales excl gst": 1.0, "total excluded tax": 1.0, "nettobetrag": 0.8, "netto": 0.6,
        "summe netto": 1.0, "gesamt netto": 1.0, "nettosumme": 1.0, "rechnungssumme ohne ust": 1.0,
        "gesamtbetrag netto": 1.0, "zwischensumme": 0.9, "warenwert": 0.6, "summe ohne mwst": 1.0,
        "total ht": 1.0, "montant ht": 1.0, "total hors taxes": 1.0, "sous total": 0.9, "sous-total": 0.9,
        "totaal excl btw": 1.0, "subtotaal": 1.0, "positionssumme": 0.4, "exclusief btw": 1.0, "excl btw": 0.9,
        "totaal exclusief btw": 1.0, "bedrag excl btw": 1.0, "grondslag": 0.7,
    },
    "taxAmount": {
        "tax": 0.6, "vat": 0.6, "gst": 0.6, "sales tax": 0.8, "tax amount": 1.0, "vat amount": 1.0, "total tax": 0.9,
        "total vat": 0.9, "total gst": 0.9, "gst amount": 0.9, "gst payable": 0.8, "steuerbetrag": 1.0,
        "mwst": 0.7, "mwst betrag": 1.0, "mehrwertsteuer": 0.8, "umsatzsteuer": 0.7, "ust": 0.6, "summe mwst": 1.0,
        "steuer": 0.5, "tva": 0.7, "montant tva": 1.0, "total tva": 1.0, "btw": 0.7, "totaal btw": 1.0,
        "vat total": 1.0, "tax total": 1.0, "gst total": 1.0, "steuer gesamt": 1.0, "tva totale": 1.0,
        "btw bedrag": 1.0, "bedrag btw": 1.0,
    },
    "taxRate": {"tax rate": 1.0, "vat rate": 1.0, "steuersatz": 1.0, "mwst satz": 1.0, "taux tva": 1.0, "taux": 0.6},
    "total": {
        "total": 0.75, "grand total": 1.0, "total amount": 0.95, "amount": 0.4, "total incl vat": 1.0,
        "total incl gst": 1.0, "total inclusive gst": 1.0, "amount incl gst": 0.95, "amount inclusive gst": 0.95,
        "amount incl tax": 0.95, "amount incl vat": 0.95, "total including gst": 1.0, "total sales inclusive gst": 1.0,
        "total sales incl gst": 1.0, "total incl tax": 1.0, "rounded total": 1.0, "total rounded": 1.0,
        "total payable": 0.95, "total amount payable": 0.95, "invoice total": 1.0, "nett total": 0.8, "jumlah": 0.7,
        "jumlah besar": 0.9, "gesamtbetrag": 0.9, "gesamtsumme": 0.9, "bruttosumme": 1.0, "rechnungsbetrag": 1.0,
        "rechnungssumme": 0.8, "bruttobetrag": 1.0, "endbetrag": 1.0, "summe": 0.6, "gesamt": 0.6, "brutto": 0.6,
        "total ttc": 1.0, "montant ttc": 1.0, "total a payer": 0.9, "montant total": 0.9, "totaal": 0.75,
        "totaal incl btw": 1.0, "totaal inclusief btw": 1.0, "factuurtotaal": 1.0,
        "factuurbedrag": 1.0, "total due": 0.8, "total rm": 0.9, "total myr": 0.9,
    },
    "amountDue": {
        "amount due": 1.0, "balance due": 1.0, "amount payable": 0.9, "total due": 0.7, "please pay": 0.8,
        "zahlbetrag": 1.0, "zu zahlen": 1.0, "zu zahlender betrag": 1.0, "offener betrag": 0.9, "noch zu zahlen": 1.0,
        "net a payer": 1.0, "reste a payer": 1.0, "montant du": 1.0, "solde du": 1.0, "te betalen": 1.0,
    },
    "iban": {"iban": 1.0, "iban code": 1.0},
    "bic": {"bic": 1.0, "swift": 1.0, "bic/swift": 1.0, "swift/bic": 1.0, "swift code": 1.0, "bic code": 1.0},
    "vendorTaxId": {
        "vat no": 1.0, "vat number": 1.0, "vat id": 1.0, "vat reg no": 1.0, "vat registration no": 1.0,
        "vat registration number": 1.0, "tax id": 0.7, "ust id": 1.0, "ustidnr": 1.0, "ust idnr": 1.0, "ust id nr": 1.0,
        "umsatzsteuer id": 1.0, "umsatzsteuer identifikationsnummer": 1.0, "ust-idnr": 1.0, "mwst nr": 0.9,
        "n tva": 1.0, "numero de tva": 1.0, "tva intracommunautaire": 1.0, "n tva intracommunautaire": 1.0,
        "tva intracom": 1.0, "btw nummer": 1.0, "btw nr": 1.0, "btw": 0.6, "btw-nummer": 1.0, "vat": 0.5, "tva": 0.5,
    },
    "paymentTerms": {
        "payment terms": 1.0, "terms": 0.7, "terms of payment": 1.0, "zahlungsbedingungen": 1.0,
        "zahlungsbedingung": 1.0, "conditions de paiement": 1.0, "conditions de reglement": 1.0,
        "betalingsvoorwaarden": 1.0,
    },
}  # fmt: skip

# Phrases that are no field but contain a field's label: matched like labels, so the longer phrase wins.
IGNORE = (
    "delivery date", "order date", "lieferdatum", "leistungsdatum", "liefer und leistungsdatum", "date de livraison",
    "total qty", "total quantity", "total items", "total item", "total discount", "total savings", "total saving",
    "total pcs", "total no", "total number", "total tendered", "total paid", "item count", "date of supply",
    "due date of payment" , "print date", "printed date", "start date", "end date", "steuernummer", "tax no",
    "kundennummer", "customer no", "client no", "account no", "rechnungsdatum bis", "bestelldatum", "orderdatum",
    "total weight", "total points", "total due date", "date of delivery", "date of service", "service date",
    # the buyer's VAT number, labelled as such: not the vendor's
    "n tva client", "tva client", "customer vat", "customer vat no", "customer vat id", "client vat", "buyer vat",
    "your vat no", "your vat id", "ihre ust id", "ihre ustidnr", "ust id kunde", "kunden ust id",
)  # fmt: skip

# Section headers: the block below (or right of) them belongs to the seller or to the buyer.
SECTIONS: dict[str, tuple[str, ...]] = {
    "vendor": (
        "seller", "vendor", "supplier", "from", "sold by", "verkaufer", "lieferant", "rechnungssteller",
        "leistungserbringer", "fournisseur", "vendeur", "emetteur", "verkoper", "leverancier",
    ),
    "customer": (
        "buyer", "customer", "bill to", "billed to", "invoice to", "sold to", "ship to", "kaufer", "kunde",
        "kaufer/leistungsempfanger", "leistungsempfanger", "rechnungsempfanger", "rechnungsadresse", "empfanger",
        "client", "acheteur", "destinataire", "facture a", "adresse de facturation", "koper", "klant",
        "delivery address", "shipping address", "deliver to", "lieferadresse", "lieferanschrift",
        "adresse de livraison", "livrer a",
    ),
}  # fmt: skip

# Within a section: what a generic label there names.
SECTION_LABELS: dict[str, tuple[str, ...]] = {
    "Name": ("name", "firma", "company", "company name", "nom", "raison sociale", "naam"),
    "Address": ("anschrift", "adresse", "address", "strasse", "adres"),
    "TaxId": ("ustidnr", "ust id", "ust idnr", "ust id nr", "vat no", "vat id", "vat number", "n tva", "btw nummer"),
}  # fmt: skip

# Words after a "total"-like label that change what it totals.
NET_WORDS = ("excl", "excluding", "exclusive", "excluded", "before", "ohne", "netto", "ht", "w/o", "sub")
TAX_WORDS = ("gst", "tax", "vat", "mwst", "ust", "tva", "btw", "steuer")
INCL_WORDS = ("incl", "including", "inclusive", "inkl", "ttc", "brutto", "rounded", "payable", "round")
NOT_TOTAL_WORDS = (
    "qty", "quantity", "items", "item", "pcs", "discount", "disc", "saving", "savings", "tendered", "cash",
    "change", "rounding", "points", "weight", "paid", "adj", "adjustment",
)  # fmt: skip

# The end of a company's name: its legal form (dots dropped, case-folded) ...
LEGAL_FORMS = frozenset(
    [
        "sdn",
        "bhd",
        "bhd",
        "s/b",
        "sdn",
        "plt",
        "gmbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "ek",
        "mbh",
        "kgaa",
        "gbr",
        "ev",
        "ltd",
        "limited",
        "inc",
        "llc",
        "llp",
        "plc",
        "corp",
        "corporation",
        "sarl",
        "sas",
        "sa",
        "eurl",
        "sasu",
        "bv",
        "nv",
        "spa",
        "srl",
        "oy",
        "ab",
        "as",
        "co",
        "gmbh",
        "&",
        "co",
        "kg",
        "pte",
        "pty",
        "sdn bhd",
        "gmbh & co",
        "co kg",
        "pte ltd",
        "pty ltd",
        "co ltd",
    ]
)
# ... or a word that names a kind of business.
BUSINESS_WORDS = frozenset(
    [
        "enterprise",
        "enterprises",
        "trading",
        "restaurant",
        "restoran",
        "store",
        "stores",
        "mart",
        "market",
        "supermarket",
        "hardware",
        "bakery",
        "bakeries",
        "cafe",
        "pharmacy",
        "motor",
        "industries",
        "holdings",
        "services",
        "supplies",
        "stationery",
        "kedai",
        "pasaraya",
        "borong",
        "hotel",
        "bistro",
        "kitchen",
    ]
)

# Lines that end a vendor's address block (phone numbers, ids, document titles).
ADDRESS_STOP = re.compile(
    r"(?i)\b(te[l1]|telephone|phone|fax|hp|h/p|email|e-mail|www|http|gst|vat|tax|invoice|receipt|rechnung|facture|"
    r"cashier|date|datum|tarikh|ust|steuer|reg|registration|no\.?\s*:|co\.?\s*no|company\s*no|roc|mob|number|"
    r"nombor|tax\s*invoice|mobile|whatsapps?|handphone|hotline|telefon|telefax|t[eé]l[eé]phone|fon)\b"
)
# A company's registration number on a line of its own, however the OCR spaced or punctuated it: "122703:",
# "(002022599 - U)", "(00161023" P)", "Co. No. 96585-A".
COMPANY_ID = re.compile(r"(?i)^[\W_]*((co|company|roc|reg|registration|no)\b[\W_]*)*\d{3,}[\W_]*[a-z]?[\W_]*$")
# ... or at the end of a line the OCR filled with noise ("ba Ar EFY 000965911-p"): five digits or more, a dash,
# one letter (a lot or unit number is shorter: "Lot 1851-A"); the number may open with the letters of the
# registry that issued it (a Malaysian state's business registration: "JM0328955-V").
COMPANY_ID_END = re.compile(r"(?i)(?<![^\W\d_])[a-z]{0,3}\d{5,}\s*-\s*[a-z]\W*$")
# Lines above a vendor's address that name whom it trades for ("Licensee of ...", "Formerly known as ...").
ADDRESS_PREAMBLE = re.compile(
    r"(?i)^\W*(licen[cs]ee|franchisee|operated by|managed by|a member of|formerly|a subsidiary)"
)
# Words of a street address: a line with one of them (or opening with a house number) is no company's name.
ADDRESS_WORDS = re.compile(
    r"(?i)(^\W*\d+\b)|\b(jalan|jln|lorong|lot|floor|level|road|rd|street|taman|tmn|blok|block|unit|strasse|str|"
    r"rue|avenue|ave)\b"
)
# Lines that are no part of an address: a time of day, a long number (a tax id, a phone number read without
# its label), or "Word: 1234" (a site, branch or terminal number).
NOT_ADDRESS = re.compile(
    r"\b\d{1,2}:\d{2}(?!\d)|\d{8,}|^\W*[A-Za-z][A-Za-z .]{0,15}:\s*[\d\s\-/]+$"
    r"|(?<![\d/-])0\d{1,2}-\d{7,8}(?![\d/-])"  # a phone number without its label ("03-91321611")
    r"|(?i:\b[\w-]+\.(com|net|org|biz|info)(\.[a-z]{2})?\b)"  # a web address, however its "www" was read
)


def folded(text: str) -> str:
    """Lower case without accents, for keyword matching: "Qté" -> "qte", "Straße" -> "strasse"."""
    return unaccented(text.casefold()).replace("ß", "ss")


def label_key(text: str) -> str:
    """A label's or a word's matching form: case-folded, without accents, punctuation or spaces."""
    return re.sub(r"[^a-z0-9#%]", "", folded(text))


def _index() -> dict[str, list[tuple[str, float]]]:
    """label_key -> the fields it labels, each with its weight ("" for IGNORE, "section:vendor" for a section
    header, "in-section:Name" for a generic label inside one)."""
    found: dict[str, dict[str, float]] = {}

    def add(phrase: str, target: str, weight: float) -> None:
        targets = found.setdefault(label_key(phrase), {})
        targets[target] = max(weight, targets.get(target, 0.0))

    for name, phrases in LABELS.items():
        for phrase, weight in phrases.items():
            add(phrase, name, weight)
    for phrase in IGNORE:
        add(phrase, "", 0.0)
    for section, headers in SECTIONS.items():
        for phrase in headers:
            add(phrase, "section:" + section, 1.0)
    for role, generic in SECTION_LABELS.items():
        for phrase in generic:
            add(phrase, "in-section:" + role, 1.0)
    return {key: list(targets.items()) for key, targets in found.items()}


LABEL_INDEX = _index()
MAX_LABEL_WORDS = 6
