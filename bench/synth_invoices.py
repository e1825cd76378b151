"""Synthetic invoices whose ground truth is known by construction, for training the invoice field ranker and the
line-item reader (never for the figures: only real documents count there).

    .venv/bin/python -m bench.synth_invoices --out /tmp/synth --count 20 --seed 1 [--pdf]

writes each invoice's pages as PNG (``<name>-p1.png``...) and one ``truth.json`` (name -> template, language,
dpi, page files, truth, items). In Python: ``for inv in generate(100, seed=7): ...``.

What varies, because it is what breaks readers:
- layout: 13 templates (TEMPLATES), each with random variation inside: the seller's block top left, top right,
  centred, in a band or in a sidebar, with or without a drawn logo; the buyer's address window left or right (with
  a DIN sender line, a "Bill to" label, a "Ship to" block beside it); the meta block (invoice no., dates, customer
  and order numbers) as a label:value list, a label-above-value grid, a boxed header table or inline in the title
  ("Rechnung Nr. 123 vom 05.06.2024"); totals under the table, beside payment notes, in a box or as a VAT summary
  table; bank details, VAT id and registration in the footer, the header, the sidebar or the payment text;
- language English (GB/US), German, French, with several label wordings per field, the dates and amounts of the
  locale (05.06.2024, 5 June 2024, 06/05/2024, 2024-06-05, 5 juin 2024; 1.234,56, 1,234.56, 1 234,56, with or
  without a currency sign or code before or after);
- fonts: the URW base35 OpenType fonts and DejaVu, found at run time, in varying sizes, bold titles;
- line items: 1-25, columns among pos/description/quantity/unit/unit price/VAT rate/amount in varying order and
  wording, ruled fully, horizontally, under the header only, zebra-shaded or not at all; wrapped descriptions,
  discount and surcharge sub-lines, note lines, a second page with an optional carried-forward line;
- scan: slight rotation, blur, JPEG artefacts, speckles, noise, contrast and brightness, faint print.

Amounts are consistent (qty x unit price = line amount, lines sum to the net total, tax per rate, total = net +
tax, amount due = total - prepayment); IBANs carry mod-97 check digits, DE/FR/GB VAT ids their check digits
(ocrmill.invoices.formats accepts them). Truth follows ocrmill.invoices.model's normalisation and holds only what
is printed: a field that is not on the page is None. Deterministic for a seed; stdlib, numpy, Pillow and OpenCV.
"""

from __future__ import annotations

import argparse
import functools
import glob
import json
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

BoxT = tuple[int, int, int, int]  # left, top, right, bottom in page pixels


@dataclass(frozen=True)
class SynthItem:
    """One line item as the table prints it, normalised as ocrmill.invoices.model says. Discount and surcharge
    sub-lines (kind "discount"/"surcharge") print only a description and an amount: their quantity and unit
    price are None. Note lines (no amounts) are not items. tax_rate is None when the row prints no rate."""

    description: str  # wrapped lines joined with a space
    quantity: str | None  # "2", "1.5"
    unit: str | None  # as printed ("Stk.", "h"), None when the table has no unit column
    unit_price: str | None  # "12.50"
    amount: str  # "25.00", "-3.00"
    tax_rate: str | None  # "19.00"
    box: BoxT | None  # the row's printed extent on its page (after the scan's rotation)
    page: int = 1
    kind: str = "item"  # "item", "discount", "surcharge"


@dataclass(frozen=True)
class SynthInvoice:
    """A rendered invoice: grey page rasters, the truth of its fields (ocrmill field names) and its items."""

    name: str
    template: str
    language: str  # "en", "de", "fr"
    pages: list[Image.Image]
    dpi: int
    truth: dict[str, str | None]
    items: list[SynthItem]
    printed: dict[str, str] = field(default_factory=dict)  # field -> the string drawn for its truth value
    texts: list[tuple[int, str, BoxT]] = field(default_factory=list)  # every string drawn: page, text, box


FIELDS = (
    "invoiceNumber", "invoiceDate", "dueDate", "purchaseOrder", "vendorName", "vendorAddress", "vendorTaxId",
    "customerName", "customerAddress", "currency", "subtotal", "taxAmount", "taxRate", "total", "amountDue",
    "iban", "bic",
)  # fmt: skip
CENT = Decimal("0.01")

# --- word lists ------------------------------------------------------------------------------------------------

COMPANY = {
    "DE": (
        ("Müller", "Schneider", "Becker", "Hoffmann", "Wagner", "Krüger", "Nordlicht", "Rheintal", "Alpenblick",
         "Hansa", "Elbe", "Sonnenhof", "Brandt", "Weber", "Lindner", "Kessler", "Isar", "Westfalen", "Spree",
         "Bergmann", "Vogel", "Franken", "Ostsee", "Schwarzwald"),
        ("Maschinenbau", "Elektrotechnik", "Logistik", "Druckerei", "Software", "Handelsgesellschaft", "Bauservice",
         "Medien", "Haustechnik", "Metallbau", "Büroausstattung", "IT-Systeme", "Gebäudereinigung", "Werkzeuge",
         "Verpackung", "Consulting", "Feinmechanik", "Gartenbau", "Kälte- und Klimatechnik"),
        ("GmbH", "GmbH", "GmbH", "AG", "GmbH & Co. KG", "e.K.", "KG", "OHG", "UG (haftungsbeschränkt)"),
    ),
    "FR": (
        ("Dupont", "Lefèvre", "Martin", "Garnier", "Rousseau", "Bernard", "Moreau", "Laurent", "Fournier", "Girard",
         "Bonnet", "Lambert", "Provence", "Atlantique", "Rhône", "Loire", "Val de Seine", "Mistral", "Beaumont"),
        ("Transports", "Imprimerie", "Informatique", "Bâtiment", "Distribution", "Conseil", "Électricité",
         "Menuiserie", "Services", "Emballages", "Fournitures de bureau", "Ingénierie", "Nettoyage industriel"),
        ("SARL", "SAS", "SA", "EURL", "SASU"),
    ),
    "GB": (
        ("Thames", "Bluebell", "Northgate", "Kingsbridge", "Ashford", "Pennine", "Cotswold", "Harbour", "Whitmore",
         "Redhill", "Oakley", "Castleton", "Mersey", "Highland", "Brightwell", "Fenwick"),
        ("Consulting", "Supplies", "Engineering", "Print Services", "Logistics", "Software", "Facilities",
         "Electrical", "Office Solutions", "Building Services", "Packaging", "Trading"),
        ("Ltd", "Ltd", "Limited", "PLC", "LLP"),
    ),
    "US": (
        ("Pioneer", "Summit", "Lakeside", "Redwood", "Granite", "Liberty", "Cascade", "Prairie", "Bayview",
         "Ironwood", "Silverline", "Blue Ridge", "Keystone", "Harbor", "Evergreen"),
        ("Solutions", "Industries", "Supply Co.", "Technologies", "Logistics", "Consulting Group", "Manufacturing",
         "Office Products", "Electric", "Systems", "Services"),
        ("Inc.", "Inc.", "LLC", "LLC", "Corp.", "Co."),
    ),
}  # fmt: skip
FIRST = {
    "DE": ("Anna", "Thomas", "Julia", "Michael", "Sabine", "Stefan", "Katrin", "Jürgen", "Lena", "Markus", "Petra"),
    "FR": ("Marie", "Jean", "Sophie", "Pierre", "Camille", "Nicolas", "Élodie", "François", "Claire", "Julien"),
    "GB": ("Oliver", "Emma", "James", "Charlotte", "Harry", "Sophie", "George", "Amelia", "Thomas", "Lucy"),
    "US": ("Michael", "Jennifer", "David", "Ashley", "Robert", "Jessica", "Daniel", "Emily", "Chris", "Sarah"),
}  # fmt: skip
LAST = {
    "DE": ("Schmidt", "Meyer", "Fischer", "Schulz", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Zimmermann"),
    "FR": ("Durand", "Petit", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fontaine", "Chevalier", "Mercier"),
    "GB": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts", "Walker"),
    "US": ("Johnson", "Miller", "Davis", "Garcia", "Martinez", "Anderson", "Clark", "Lewis", "Walker", "Young"),
}  # fmt: skip
STREETS = {
    "DE": ("Hauptstraße", "Bahnhofstr.", "Am Marktplatz", "Lindenweg", "Industriestraße", "Gartenstr.",
           "Schillerstraße", "Goethestr.", "Kirchplatz", "Mühlenweg", "Berliner Allee", "Hafenstraße"),
    "FR": ("rue de la République", "avenue Victor Hugo", "boulevard Voltaire", "rue des Lilas", "rue du Moulin",
           "place de la Gare", "chemin des Vignes", "rue Pasteur", "avenue Jean Jaurès", "allée des Tilleuls"),
    "GB": ("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane", "Park Avenue",
           "Queen Street", "King's Road", "Riverside Way", "Manor Close"),
    "US": ("Oak Avenue", "Main Street", "Maple Drive", "Elm Street", "Commerce Blvd", "Industrial Parkway",
           "Lake Shore Drive", "Washington Ave", "Pine Street", "Market Street"),
}  # fmt: skip
TOWNS = {
    "DE": (("10", "Berlin"), ("20", "Hamburg"), ("80", "München"), ("50", "Köln"), ("60", "Frankfurt am Main"),
           ("70", "Stuttgart"), ("40", "Düsseldorf"), ("04", "Leipzig"), ("90", "Nürnberg"), ("28", "Bremen"),
           ("30", "Hannover"), ("01", "Dresden"), ("33", "Bielefeld"), ("76", "Karlsruhe")),
    "FR": (("75", "Paris"), ("69", "Lyon"), ("13", "Marseille"), ("31", "Toulouse"), ("33", "Bordeaux"),
           ("59", "Lille"), ("44", "Nantes"), ("67", "Strasbourg"), ("35", "Rennes"), ("06", "Nice")),
    "GB": (("SW", "London"), ("M", "Manchester"), ("B", "Birmingham"), ("LS", "Leeds"), ("BS", "Bristol"),
           ("EH", "Edinburgh"), ("CF", "Cardiff"), ("NG", "Nottingham"), ("OX", "Oxford"), ("YO", "York")),
    "US": (("IL", "Springfield"), ("TX", "Austin"), ("CA", "San Jose"), ("NY", "Albany"), ("OH", "Columbus"),
           ("WA", "Tacoma"), ("CO", "Denver"), ("GA", "Atlanta"), ("MA", "Worcester"), ("OR", "Portland")),
}  # fmt: skip
COUNTRY_NAMES = {
    "en": {"DE": "Germany", "FR": "France", "GB": "United Kingdom", "US": "USA"},
    "de": {"DE": "Deutschland", "FR": "Frankreich", "GB": "Großbritannien", "US": "USA"},
    "fr": {"DE": "Allemagne", "FR": "France", "GB": "Royaume-Uni", "US": "États-Unis"},
}
BANKS = {
    "DE": (("Commerzbank", "COBA"), ("Deutsche Bank", "DEUT"), ("Sparkasse", "SPKA"), ("Volksbank", "GENO"),
           ("HypoVereinsbank", "HYVE"), ("Postbank", "PBNK")),
    "FR": (("BNP Paribas", "BNPA"), ("Société Générale", "SOGE"), ("Crédit Lyonnais", "CRLY"),
           ("Crédit Agricole", "AGRI"), ("La Banque Postale", "PSST")),
    "GB": (("Barclays", "BARC"), ("Lloyds Bank", "LOYD"), ("NatWest", "NWBK"), ("HSBC UK", "HBUK")),
    "US": (("Chase", "CHAS"), ("Bank of America", "BOFA"), ("Wells Fargo", "WFBI"), ("Citibank", "CITI")),
}  # fmt: skip
GOODS = {
    "en": ("Consulting services", "Website maintenance", "Office chair, ergonomic", "Toner cartridge black",
           "Installation and setup", "Travel expenses", "Software licence (annual)", "Network cable CAT6 5 m",
           "Project management", "Hosting package Business", "Steel bracket 40x40 mm", "Training workshop",
           "Copy paper A4 80 g", "LED panel 60x60", "Support hours", "Desk lamp", "Cleaning service",
           "Delivery and packaging", "Design draft", "Spare parts kit", "Laptop stand", "Server rack 19 inch",
           "Translation EN-DE", "Safety gloves size L", "Maintenance contract Q3"),
    "de": ("Beratungsleistung", "Wartung Webseite", "Bürostuhl ergonomisch", "Tonerkartusche schwarz",
           "Installation und Einrichtung", "Reisekosten", "Softwarelizenz (jährlich)", "Netzwerkkabel CAT6 5 m",
           "Projektleitung", "Hosting-Paket Business", "Winkel Stahl 40x40 mm", "Schulung Mitarbeiter",
           "Kopierpapier A4 80 g", "LED-Panel 60x60", "Supportstunden", "Schreibtischleuchte", "Unterhaltsreinigung",
           "Fracht und Verpackung", "Entwurf Gestaltung", "Ersatzteilset", "Monitorhalterung", "Serverschrank 19 Zoll",
           "Übersetzung DE-EN", "Schutzhandschuhe Gr. L", "Wartungsvertrag Q3"),
    "fr": ("Prestation de conseil", "Maintenance site web", "Fauteuil de bureau ergonomique", "Cartouche de toner noir",
           "Installation et paramétrage", "Frais de déplacement", "Licence logiciel (annuelle)",
           "Câble réseau CAT6 5 m", "Gestion de projet", "Hébergement offre Pro", "Équerre acier 40x40 mm",
           "Formation du personnel", "Papier A4 80 g", "Dalle LED 60x60", "Heures de support", "Lampe de bureau",
           "Nettoyage des locaux", "Transport et emballage", "Maquette graphique", "Kit de pièces détachées",
           "Support écran", "Baie serveur 19 pouces", "Traduction FR-EN", "Gants de protection taille L",
           "Contrat de maintenance T3"),
}  # fmt: skip
DETAILS = {
    "en": ("incl. delivery and assembly on site according to our quotation {ref}", "as agreed with {person}",
           "period {d1} to {d2}", "serial no. {ref}, warranty 24 months", "colour: anthracite, packed in cartons"),
    "de": ("inkl. Lieferung und Montage vor Ort gemäß unserem Angebot {ref}", "wie mit {person} vereinbart",
           "Zeitraum {d1} bis {d2}", "Seriennummer {ref}, Garantie 24 Monate", "Farbe anthrazit, Karton verpackt"),
    "fr": ("livraison et montage sur site compris selon notre devis {ref}", "comme convenu avec {person}",
           "période du {d1} au {d2}", "n° de série {ref}, garantie 24 mois",
           "coloris anthracite, conditionné en carton"),
}  # fmt: skip
UNITS = {
    "en": {"piece": ("pcs", "ea.", "unit"), "hour": ("h", "hrs", "hour"), "kg": ("kg",), "flat": ("lump sum", "flat")},
    "de": {"piece": ("Stk.", "Stück", "St."), "hour": ("Std.", "h"), "kg": ("kg",), "flat": ("pauschal", "psch.")},
    "fr": {"piece": ("pce", "u.", "pièce"), "hour": ("h", "heure"), "kg": ("kg",), "flat": ("forfait", "fft")},
}
NOTES = {
    "en": ("Delivered on {d1}", "Note: partial delivery, remainder follows", "Order reference {ref}"),
    "de": ("Geliefert am {d1}", "Hinweis: Teillieferung, Rest folgt", "Bezug: Lieferschein {ref}"),
    "fr": ("Livré le {d1}", "Remarque : livraison partielle", "Réf. bon de livraison {ref}"),
}

# --- labels per language: several wordings per field -----------------------------------------------------------

LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "title": ("INVOICE", "Invoice", "TAX INVOICE", "Sales Invoice"),
        "number": ("Invoice No.", "Invoice #", "Invoice Number", "Inv. No.", "Inv. Number", "Invoice no"),
        "date": ("Invoice Date", "Date", "Date of issue", "Issue date", "Invoice date / Tax point", "Dated"),
        "due": ("Due Date", "Payment due", "Due", "Pay by", "Due on"),
        "customer_no": ("Customer No.", "Account No.", "Customer ID", "Client ref."),
        "order": ("Order No.", "PO Number", "Your Order", "Purchase Order", "P.O. #"),
        "delivery": ("Delivery date", "Ship date", "Date of supply"),
        "subtotal": ("Subtotal", "Net amount", "Total excl. VAT", "Sub-total", "Total before tax", "Net total"),
        "tax": ("VAT {r}%", "VAT @ {r}%", "Tax ({r}%)", "VAT {r} %"),
        "tax_norate": ("VAT", "Tax"),
        "tax_total": ("Total VAT", "Total tax", "VAT total"),
        "total": ("Total", "Invoice total", "Total amount", "Grand total", "Total incl. VAT", "TOTAL"),
        "amount_due": ("Amount due", "Balance due", "Amount payable", "Please pay"),
        "prepay": ("Less deposit paid", "Prepayment received", "Payment received", "Less: advance payment"),
        "carried": ("Carried forward", "Subtotal carried forward"),
        "brought": ("Brought forward",),
        "bill_to": ("Bill To", "Invoice to", "Billed to", "Customer", "To"),
        "ship_to": ("Ship To", "Deliver to", "Delivery address"),
        "vat_id": ("VAT No.", "VAT Reg. No.", "VAT number", "VAT ID", "VAT Registration No."),
        "bank": ("Bank", "Bank details", "Payment details"),
        "page": ("Page {n} of {m}", "Page {n}/{m}"),
        "phone": ("Tel.", "Phone", "T"),
        "email": ("Email", "E-mail", "E"),
        "attn": ("Attn: {p}", "FAO {p}"),
        "pos": ("Pos.", "#", "Item", "No."),
        "desc": ("Description", "Item description", "Product / Service", "Details"),
        "qty": ("Qty", "Quantity", "Qty."),
        "unit": ("Unit", "UoM"),
        "price": ("Unit price", "Price", "Rate", "Unit cost", "Price each"),
        "vat": ("VAT", "VAT %", "Tax"),
        "amount": ("Amount", "Total", "Line total", "Net amount"),
        "currency": ("Currency",),
    },
    "de": {
        "title": ("Rechnung", "RECHNUNG"),
        "number": ("Rechnungsnummer", "Rechnung Nr.", "Rechnungs-Nr.", "Belegnummer", "Rechnungsnr.", "Beleg-Nr."),
        "date": ("Rechnungsdatum", "Datum", "Belegdatum", "Ausstellungsdatum"),
        "due": ("Fällig am", "Fälligkeitsdatum", "Zahlbar bis", "Fällig bis"),
        "customer_no": ("Kundennummer", "Kunden-Nr.", "Kd.-Nr."),
        "order": ("Bestellnummer", "Ihre Bestellung", "Bestell-Nr.", "Auftragsnummer"),
        "delivery": ("Lieferdatum", "Leistungsdatum", "Liefertermin"),
        "subtotal": ("Nettobetrag", "Summe netto", "Zwischensumme", "Gesamt netto", "Nettosumme", "Warenwert netto"),
        "tax": ("MwSt. {r} %", "zzgl. {r} % MwSt.", "USt. {r} %", "Umsatzsteuer {r} %", "MwSt. {r}%"),
        "tax_norate": ("MwSt.", "zzgl. USt.", "Umsatzsteuer"),
        "tax_total": ("Summe MwSt.", "Umsatzsteuer gesamt"),
        "total": ("Gesamtbetrag", "Rechnungsbetrag", "Gesamtsumme", "Bruttobetrag", "Endbetrag", "Summe brutto"),
        "amount_due": ("Zu zahlen", "Zahlbetrag", "Offener Betrag", "Noch zu zahlen"),
        "prepay": ("abzgl. Anzahlung", "Anzahlung erhalten", "abzüglich Abschlagszahlung"),
        "carried": ("Übertrag", "Zwischensumme Übertrag"),
        "brought": ("Übertrag",),
        "bill_to": ("Rechnungsempfänger", "Rechnungsadresse", "Kunde"),
        "ship_to": ("Lieferadresse", "Lieferanschrift"),
        "vat_id": ("USt-IdNr.", "USt.-ID", "Umsatzsteuer-ID", "USt-ID-Nr.", "UStIdNr."),
        "bank": ("Bankverbindung", "Bank"),
        "page": ("Seite {n} von {m}", "Seite {n}/{m}"),
        "phone": ("Tel.", "Telefon", "Fon"),
        "email": ("E-Mail", "Mail"),
        "attn": ("z. Hd. {p}", "Frau/Herrn {p}", "Ansprechpartner: {p}"),
        "pos": ("Pos.", "Pos", "Nr."),
        "desc": ("Bezeichnung", "Beschreibung", "Artikel", "Leistung", "Artikelbezeichnung"),
        "qty": ("Menge", "Anz.", "Anzahl"),
        "unit": ("Einheit", "ME"),
        "price": ("Einzelpreis", "E-Preis", "Preis/Einh.", "Stückpreis"),
        "vat": ("MwSt.", "USt. %", "MwSt.-Satz"),
        "amount": ("Gesamtpreis", "Betrag", "Gesamt", "G-Preis", "Summe"),
        "currency": ("Währung",),
    },
    "fr": {
        "title": ("FACTURE", "Facture"),
        "number": ("N° de facture", "Facture n°", "Numéro de facture", "Facture N°", "Réf. facture"),
        "date": ("Date de facture", "Date", "Date d'émission", "Date de facturation"),
        "due": ("Date d'échéance", "Échéance", "À payer avant le", "Date limite de paiement"),
        "customer_no": ("N° client", "Code client", "Réf. client"),
        "order": ("Bon de commande", "N° de commande", "Commande n°", "Votre commande"),
        "delivery": ("Date de livraison", "Livré le"),
        "subtotal": ("Total HT", "Montant HT", "Sous-total", "Total hors taxes"),
        "tax": ("TVA {r} %", "TVA ({r} %)", "TVA {r}%", "Montant TVA {r} %"),
        "tax_norate": ("TVA", "Montant TVA"),
        "tax_total": ("Total TVA", "Montant total TVA"),
        "total": ("Total TTC", "Montant TTC", "Montant total", "Total"),
        "amount_due": ("Net à payer", "Reste à payer", "Montant dû", "Solde dû"),
        "prepay": ("Acompte versé", "Acompte reçu", "Déjà réglé"),
        "carried": ("À reporter", "Report"),
        "brought": ("Report",),
        "bill_to": ("Facturé à", "Client", "Adresse de facturation", "Destinataire"),
        "ship_to": ("Livré à", "Adresse de livraison"),
        "vat_id": ("N° TVA intracommunautaire", "TVA intracom.", "N° TVA", "Numéro de TVA"),
        "bank": ("Coordonnées bancaires", "Banque", "RIB"),
        "page": ("Page {n}/{m}", "Page {n} sur {m}"),
        "phone": ("Tél.", "Tél :", "Téléphone"),
        "email": ("E-mail", "Courriel", "Mail"),
        "attn": ("À l'attention de {p}", "Att. {p}"),
        "pos": ("N°", "Réf.", "#"),
        "desc": ("Désignation", "Description", "Libellé"),
        "qty": ("Qté", "Quantité"),
        "unit": ("Unité", "U."),
        "price": ("Prix unitaire", "P.U. HT", "Prix U.", "PU HT"),
        "vat": ("TVA", "Taux TVA"),
        "amount": ("Montant HT", "Total HT", "Montant"),
        "currency": ("Devise",),
    },
}
# US invoices charge sales tax, not VAT
US_LABELS: dict[str, tuple[str, ...]] = {
    "subtotal": ("Subtotal", "Sub-total", "Total before tax", "Net total"),
    "tax": ("Sales tax {r}%", "Tax ({r}%)", "Sales Tax @ {r}%", "Tax {r}%"),
    "tax_norate": ("Sales tax", "Tax"),
    "total": ("Total", "Invoice total", "Total amount", "Grand total", "TOTAL"),
    "vat": ("Tax", "Tax %"),
}
INTRO = {
    "en": ("Thank you for your order. We invoice you as follows:", "For services rendered as detailed below."),
    "de": ("Sehr geehrte Damen und Herren,", "vielen Dank für Ihren Auftrag. Wir berechnen Ihnen wie folgt:",
           "Für unsere Leistungen erlauben wir uns zu berechnen:"),
    "fr": ("Madame, Monsieur,", "Nous vous remercions de votre commande et vous prions de trouver ci-dessous :"),
}  # fmt: skip
TERMS = {
    "en": ("Payment terms: {days} days net.", "Please pay within {days} days of the invoice date.",
           "Payment is due within {days} days. Thank you for your business!"),
    "de": ("Zahlbar innerhalb von {days} Tagen ohne Abzug.", "Zahlungsziel: {days} Tage netto.",
           "Bitte begleichen Sie den Betrag innerhalb von {days} Tagen."),
    "fr": ("Paiement à {days} jours.", "Conditions de paiement : {days} jours net.",
           "Pénalités de retard : trois fois le taux d'intérêt légal."),
}  # fmt: skip
TERMS_DUE = {
    "en": ("Please pay by {due}.", "Payment due on {due}."),
    "de": ("Bitte überweisen Sie den Betrag bis zum {due} auf unser Konto.", "Zahlbar ohne Abzug bis {due}."),
    "fr": ("Merci de régler cette facture avant le {due}.", "À régler au plus tard le {due}."),
}  # fmt: skip
NO_TAX = {
    "en": "VAT not applicable (small business).",
    "de": "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.",
    "fr": "TVA non applicable, art. 293 B du CGI.",
}
MONTH_NAMES = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
}  # fmt: skip
TAX_RATES = {"DE": ("19", "7"), "FR": ("20", "10", "5.5"), "GB": ("20", "5"), "US": ("8.25", "7", "6.5", "6.25")}
CURRENCY = {"DE": "EUR", "FR": "EUR", "GB": "GBP", "US": "USD"}
SIGNS = {"EUR": "€", "GBP": "£", "USD": "$"}


# --- identifiers with check digits -----------------------------------------------------------------------------


def _mod97(text: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in text)) % 97


def make_iban(country: str, bban: str) -> str:
    """The IBAN of a national account number: ISO 13616 check digits 98 - mod97(bban + country + "00")."""
    return f"{country}{98 - _mod97(bban + country + '00'):02d}{bban}"


def make_vat_id(country: str, rng: random.Random) -> str | None:
    """A VAT id of the country whose check digits hold (DE: ISO 7064 MOD 11,10; FR: the SIREN key; GB: the
    weighted mod-97 check), None for the US (no VAT)."""
    if country == "DE":
        body = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
        product = 10
        for digit in body:
            total = (int(digit) + product) % 10 or 10
            product = (2 * total) % 11
        check = 11 - product
        return f"DE{body}{0 if check == 10 else check}"
    if country == "FR":
        siren = rng.randint(100_000_000, 999_999_999)
        return f"FR{(12 + 3 * (siren % 97)) % 97:02d}{siren}"
    if country == "GB":
        body = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(6))
        weighted = sum(int(d) * w for d, w in zip(body, range(8, 1, -1), strict=True))
        return f"GB{body}{-weighted % 97:02d}"
    return None


def _iban_for(country: str, rng: random.Random, bank_code: str) -> str | None:
    digits = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))  # noqa: E731
    if country == "DE":
        return make_iban("DE", digits(8) + digits(10))
    if country == "FR":
        bank, branch, account = digits(5), digits(5), digits(11)
        key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
        return make_iban("FR", f"{bank}{branch}{account}{key:02d}")
    if country == "GB":
        return make_iban("GB", bank_code + digits(6) + digits(8))
    return None


# --- locale: how dates, amounts and quantities print ------------------------------------------------------------


@dataclass(frozen=True)
class Locale:
    language: str
    country: str  # the seller's country
    date_style: str  # "dmy.", "dmy/", "mdy/", "iso", "long", "long_us", "short"
    thousands: str
    decimal: str
    currency: str
    cur_table: str  # how table amounts show the currency: "", "sign_after", "sign_before", "code_after"...
    cur_totals: str
    rate_style: str  # "{r} %" or "{r}%"

    def date(self, d: date) -> str:
        names = MONTH_NAMES[self.language]
        match self.date_style:
            case "dmy.":
                return f"{d.day:02d}.{d.month:02d}.{d.year}"
            case "dmy/":
                return f"{d.day:02d}/{d.month:02d}/{d.year}"
            case "mdy/":
                return f"{d.month:02d}/{d.day:02d}/{d.year}"
            case "iso":
                return d.isoformat()
            case "long_us":
                return f"{names[d.month - 1]} {d.day}, {d.year}"
            case "short":
                return f"{d.day:02d} {names[d.month - 1][:3]} {d.year}"
            case _:
                dot = "." if self.language == "de" else ""
                return f"{d.day}{dot} {names[d.month - 1]} {d.year}"

    def number(self, value: Decimal, places: int = 2) -> str:
        text = f"{abs(value):,.{places}f}"  # 1,234.56
        whole, _, frac = text.partition(".")
        whole = whole.replace(",", self.thousands)
        out = whole + (self.decimal + frac if places else "")
        return ("-" if value < 0 else "") + out

    def money(self, value: Decimal, style: str) -> str:
        number = self.number(value)
        sign, code = SIGNS[self.currency], self.currency
        match style:
            case "sign_after":
                return f"{number} {sign}"
            case "sign_before":
                return f"{sign}{number}" if sign == "$" or sign == "£" else f"{sign} {number}"
            case "code_after":
                return f"{number} {code}"
            case "code_before":
                return f"{code} {number}"
            case _:
                return number

    def quantity(self, value: Decimal, *, fixed: bool) -> str:
        if fixed:
            return self.number(value, 2)
        text = format(value.normalize(), "f")
        return text.replace(".", self.decimal)

    def rate(self, rate: Decimal) -> str:
        text = format(rate.normalize(), "f").replace(".", self.decimal)
        return self.rate_style.format(r=text)


def _locale(rng: random.Random) -> Locale:
    language = rng.choices(("en", "de", "fr"), (0.4, 0.35, 0.25))[0]
    if language == "en":
        country = rng.choice(("GB", "US", "US", "DE"))
        if country == "US":
            date_style = rng.choice(("mdy/", "long_us", "long_us", "iso"))
            grouping = (",", ".")
        else:
            date_style = rng.choice(("dmy/", "long", "short", "iso", "dmy."))
            grouping = rng.choice(((",", "."), (",", "."), ("", ".")))
    elif language == "de":
        country = "DE"
        date_style = rng.choice(("dmy.", "dmy.", "dmy.", "long", "iso"))
        grouping = rng.choice(((".", ","), (".", ","), ("", ","), (" ", ",")))
    else:
        country = "FR"
        date_style = rng.choice(("dmy/", "dmy/", "long", "dmy."))
        grouping = rng.choice(((" ", ","), (" ", ","), (".", ","), ("", ",")))
    currency = CURRENCY[country]
    if country == "GB" and rng.random() < 0.2:
        currency = "EUR"
    totals = rng.choice(("", "sign_after", "sign_before", "code_after", "code_before"))
    if currency == "EUR" and language != "en" and totals == "sign_before":
        totals = "sign_after"
    if currency != "EUR" and totals == "sign_after":
        totals = "sign_before"
    table = rng.choice(("", "", totals))
    return Locale(
        language, country, date_style, grouping[0], grouping[1], currency, table, totals,
        rng.choice(("{r} %", "{r}%")) if language != "en" else "{r}%",
    )  # fmt: skip


# --- the invoice's content -------------------------------------------------------------------------------------


@dataclass
class Party:
    name: str
    street: str
    town: str  # "10115 Berlin", "Springfield, IL 62704"; GB: the town alone
    postcode_line: str | None  # GB: the postcode on its own line
    country: str
    country_line: str | None  # printed country name, when it is printed
    vat_id: str | None
    person: str

    def lines(self) -> list[str]:
        out = [self.street, self.town]
        if self.postcode_line:
            out.append(self.postcode_line)
        if self.country_line:
            out.append(self.country_line)
        return out


@dataclass
class Row:
    kind: str  # "item", "discount", "surcharge", "note"
    description: str
    quantity: Decimal | None = None
    unit: str | None = None
    price: Decimal | None = None
    amount: Decimal | None = None
    rate: Decimal | None = None


@dataclass
class Content:
    locale: Locale
    seller: Party
    buyer: Party
    ship_to: Party | None
    number: str
    customer_no: str
    order_no: str | None
    issued: date
    due: date | None
    delivered: date
    terms_days: int
    rows: list[Row]
    no_tax: bool
    net: Decimal
    taxes: dict[Decimal, tuple[Decimal, Decimal]]  # rate -> (base, tax)
    total: Decimal
    prepaid: Decimal
    phone: str
    email: str
    web: str
    bank: str
    iban: str | None
    bic: str | None
    registration: list[str]


MAILBOXES = {"de": ("info", "rechnung", "buchhaltung"), "fr": ("contact", "facturation", "compta"),
             "en": ("info", "billing", "accounts")}  # fmt: skip


def _company(country: str, rng: random.Random) -> str:
    names, trades, forms = COMPANY[country]
    shape = rng.random()
    if shape < 0.45:
        base = f"{rng.choice(names)} {rng.choice(trades)}"
    elif shape < 0.7:
        base = f"{rng.choice(names)} & {rng.choice(names)}"
    elif shape < 0.9 and country in ("FR",):
        base = f"{rng.choice(trades)} {rng.choice(names)}"
    else:
        base = f"{rng.choice(FIRST[country])} {rng.choice(names)} {rng.choice(trades)}"
    return f"{base} {rng.choice(forms)}"


def _party(country: str, language: str, rng: random.Random, *, company: bool, foreign_country: bool) -> Party:
    person = f"{rng.choice(FIRST[country])} {rng.choice(LAST[country])}"
    name = _company(country, rng) if company else person
    street_name = rng.choice(STREETS[country])
    number = rng.randint(1, 180)
    prefix, town_name = rng.choice(TOWNS[country])
    postcode_line = None
    if country == "DE":
        street = f"{street_name} {number}{rng.choice(('', '', '', 'a', 'b'))}"
        town = f"{prefix}{rng.randint(100, 999)} {town_name}"
    elif country == "FR":
        street = f"{number}{rng.choice(('', '', ' bis'))} {street_name}"
        town = f"{prefix}{rng.randint(0, 20):03d} {town_name}"
    elif country == "GB":
        street = f"{number} {street_name}"
        town = town_name
        postcode_line = f"{prefix}{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" + (
            rng.choice("ABDEFGHJLNPQRSTUWXYZ")
        )
    else:
        street = f"{rng.randint(100, 9999)} {street_name}" + rng.choice(("", "", f", Suite {rng.randint(100, 450)}"))
        town = f"{town_name}, {prefix} {rng.randint(10000, 99999)}"
    country_line = COUNTRY_NAMES[language][country] if foreign_country else None
    return Party(name, street, town, postcode_line, country, country_line, make_vat_id(country, rng), person)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _invoice_number(rng: random.Random, year: int) -> str:
    n = rng.randint(1, 99999)
    return rng.choice(
        (
            f"{year}-{n % 10000:04d}",
            f"RE-{year}-{n:05d}",
            f"INV-{n + 10000}",
            f"F{year}/{n % 1000:04d}",
            str(n + 100000),
            f"FA-{year % 100:02d}-{n % 10000:04d}",
            f"R{year % 100:02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}-{rng.randint(1, 99):02d}",
            f"{year % 100:02d}{n:06d}",
        )
    )


def _content(rng: random.Random, loc: Locale) -> Content:
    lang, country = loc.language, loc.country
    foreign = rng.random() < 0.15
    buyer_country = rng.choice(("DE", "FR", "GB")) if foreign and country != "US" else country
    seller = _party(country, lang, rng, company=rng.random() < 0.93, foreign_country=foreign or rng.random() < 0.1)
    buyer = _party(buyer_country, lang, rng, company=rng.random() < 0.85, foreign_country=buyer_country != country)
    ship_to = None
    if rng.random() < 0.5:
        ship_to = _party(buyer_country, lang, rng, company=True, foreign_country=buyer.country_line is not None)
        ship_to.name = buyer.name
    issued = date(2019, 1, 1) + timedelta(days=rng.randint(0, 6 * 365))
    terms_days = rng.choice((7, 10, 14, 14, 30, 30, 45, 60))
    no_tax = rng.random() < 0.05
    rates = [Decimal(r) for r in TAX_RATES[country]]
    multi = not no_tax and country != "US" and rng.random() < 0.25
    main_rate = rates[0] if country != "US" else rng.choice(rates)
    rows: list[Row] = []
    count = rng.choice((rng.randint(1, 4), rng.randint(2, 9), rng.randint(5, 25)))
    units = UNITS[lang]
    for _ in range(count):
        kind_unit = rng.choice(("piece", "piece", "hour", "kg", "flat"))
        description = rng.choice(GOODS[lang])
        if rng.random() < 0.2:
            detail = rng.choice(DETAILS[lang]).format(
                ref=f"{rng.randint(2019, 2025)}-{rng.randint(1, 999):03d}",
                person=f"{rng.choice(FIRST[country])} {rng.choice(LAST[country])}",
                d1=loc.date(issued - timedelta(days=rng.randint(20, 40))),
                d2=loc.date(issued - timedelta(days=rng.randint(1, 19))),
            )
            description = f"{description} {detail}" if rng.random() < 0.5 else f"{description}, {detail}"
        if kind_unit == "hour":
            quantity = Decimal(rng.choice(("0.5", "1", "1.5", "2", "2.25", "3", "4", "6.5", "8", "12", "16", "24")))
            price = Decimal(rng.choice((45, 60, 75, 85, 95, 110, 120, 135, 150)))
        elif kind_unit == "kg":
            quantity = Decimal(rng.randint(1, 400)) / Decimal(rng.choice((1, 10, 4, 4)))
            price = _money(Decimal(rng.uniform(0.8, 40)))
        elif kind_unit == "flat":
            quantity = Decimal(1)
            price = _money(Decimal(rng.uniform(50, 4000)))
        else:
            price = _money(Decimal(rng.choice((rng.uniform(0.2, 30), rng.uniform(10, 400), rng.uniform(200, 3000)))))
            many = (1, 2, 4, 5, 10, 12, 20, 25, 50, 100, 250) if price < 50 else (1, 1, 1, 2, 2, 3, 4, 5, 6, 10)
            quantity = Decimal(rng.choice(many))
        rate = rng.choice(rates[:2]) if multi else main_rate
        rows.append(
            Row("item", description, quantity, rng.choice(units[kind_unit]), price, _money(quantity * price), rate)
        )
        extra = rng.random()
        if extra < 0.06:
            percent = Decimal(rng.choice((3, 5, 10, 15)))
            label = {"en": "Discount", "de": "Rabatt", "fr": "Remise"}[lang]
            cut = -_money(rows[-1].amount * percent / 100)  # type: ignore[operator]
            rows.append(Row("discount", f"{label} {loc.rate(percent)}", amount=cut, rate=rate))
        elif extra < 0.09:
            label = {"en": "Surcharge small quantity", "de": "Mindermengenzuschlag", "fr": "Supplément petite quantité"}
            rows.append(Row("surcharge", label[lang], amount=_money(Decimal(rng.uniform(2, 25))), rate=rate))
        elif extra < 0.13:
            note = rng.choice(NOTES[lang]).format(
                d1=loc.date(issued - timedelta(days=rng.randint(1, 20))), ref=f"LS-{rng.randint(1000, 99999)}"
            )
            rows.append(Row("note", note))
    net = sum((r.amount for r in rows if r.amount is not None), Decimal(0))
    taxes: dict[Decimal, tuple[Decimal, Decimal]] = {}
    if not no_tax:
        for row in rows:
            if row.amount is not None and row.rate is not None:
                base = taxes.get(row.rate, (Decimal(0), Decimal(0)))[0] + row.amount
                taxes[row.rate] = (base, Decimal(0))
        taxes = {r: (b, _money(b * r / 100)) for r, (b, _) in sorted(taxes.items(), reverse=True)}
    else:
        for row in rows:
            row.rate = None
    total = net + sum((t for _, t in taxes.values()), Decimal(0))
    prepaid = _money(total * Decimal(rng.choice((10, 20, 25, 30, 50))) / 100) if rng.random() < 0.12 else Decimal(0)
    banks = BANKS[country]
    bank, bank_code = rng.choice(banks)
    iban = _iban_for(country, rng, bank_code)
    location = rng.choice(("FF", "MM", "DB", "2P", "PP", "22", "HH", "XX", "33", "NY"))
    bic = f"{bank_code}{'US' if country == 'US' else country}{location}" + rng.choice(("", "XXX", "XXX", "100"))
    slug = "".join(ch for ch in seller.name.split()[0].lower() if ch.isascii() and ch.isalnum()) or "firma"
    tld = {"DE": "de", "FR": "fr", "GB": "co.uk", "US": "com"}[country]
    phone = {
        "DE": f"+49 {rng.randint(30, 89)} {rng.randint(100000, 9999999)}",
        "FR": f"+33 {rng.randint(1, 5)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
        f"{rng.randint(10, 99)}",
        "GB": f"+44 {rng.randint(20, 199)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
        "US": f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
    }[country]
    reg = {
        "DE": [f"Amtsgericht {rng.choice(TOWNS['DE'])[1]} HRB {rng.randint(1000, 199999)}",
               f"Geschäftsführer: {seller.person}", f"Steuernummer {rng.randint(10, 99)}/{rng.randint(100, 999)}/"
               f"{rng.randint(10000, 99999)}"],
        "FR": [f"SIRET {seller.vat_id[4:7]} {seller.vat_id[7:10]} {seller.vat_id[10:13]} {rng.randint(10000, 99999)}"
               if seller.vat_id else "", f"RCS {rng.choice(TOWNS['FR'])[1]} B {rng.randint(100, 999)} "
               f"{rng.randint(100, 999)} {rng.randint(100, 999)}", f"Capital {rng.randint(1, 50) * 1000} €",
               f"Code APE {rng.randint(1000, 9999)}Z"],
        "GB": [f"Registered in England & Wales No. {rng.randint(1000000, 9999999):08d}", f"Director: {seller.person}"],
        "US": [f"EIN {rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}"],
    }[country]  # fmt: skip
    return Content(
        loc, seller, buyer, ship_to, _invoice_number(rng, issued.year),
        rng.choice((f"KD-{rng.randint(1000, 99999)}", str(rng.randint(10000, 999999)), f"C{rng.randint(100, 9999)}")),
        rng.choice((f"PO-{rng.randint(100000, 999999)}", f"45000{rng.randint(10000, 99999)}",
                    f"BE-{issued.year}-{rng.randint(1, 999):03d}", f"{rng.randint(1000, 9999)}/{issued.year % 100}"))
        if rng.random() < 0.5 else None,
        issued, issued + timedelta(days=terms_days), issued - timedelta(days=rng.randint(0, 14)), terms_days,
        rows, no_tax, net, taxes, total, prepaid, phone, f"{rng.choice(MAILBOXES[lang])}"
        f"@{slug}.{tld}", f"www.{slug}.{tld}", bank, iban, bic if rng.random() < 0.85 else None, [r for r in reg if r],
    )  # fmt: skip


# --- layout: the templates ---------------------------------------------------------------------------------------


@dataclass
class Layout:
    seller: str  # "left", "right", "center", "band", "sidebar"
    logo: bool
    window: str  # "left", "right"
    sender_line: bool
    bill_label: bool
    ship_to: bool
    meta: str  # "list", "grid", "table", "inline"
    meta_place: str  # "beside" (opposite the window) or "below" (full width under it)
    title_place: str  # "top" (opposite the seller), "meta" (over the meta block), "table" (over the table)
    rules: str  # "full", "horizontal", "header", "zebra", "none"
    columns: tuple[str, ...]
    totals: str  # "right", "beside", "box", "vat_table"
    bank: str  # "footer", "header", "text", "none"
    footer: str  # "columns", "lines", "none"
    intro: bool
    mono: bool = False


COLUMN_SETS = (
    ("pos", "desc", "qty", "unit", "price", "amount"),
    ("desc", "qty", "price", "amount"),
    ("pos", "qty", "unit", "desc", "price", "vat", "amount"),
    ("qty", "desc", "price", "amount"),
    ("desc", "price", "qty", "amount"),
    ("pos", "desc", "qty", "price", "vat", "amount"),
    ("desc", "qty", "unit", "price", "amount"),
    ("pos", "desc", "unit", "qty", "price", "amount"),
)


def _pick(rng: random.Random, *options: str) -> str:
    return rng.choice(options)


def _template(name: str, rng: random.Random) -> Layout:
    """The structural choices of one template, with its own random variation."""
    cols = rng.choice(COLUMN_SETS)
    b = rng.random() < 0.5
    coin = lambda: rng.random() < 0.5  # noqa: E731
    pick = functools.partial(_pick, rng)
    specs: dict[str, Callable[[], Layout]] = {
        # DIN 5008 letter: seller top right, window left with a sender line, meta list beside it
        "din-classic": lambda: Layout(
            seller="right", logo=b, window="left", sender_line=True, bill_label=False, ship_to=False, meta="list",
            meta_place="beside", title_place="table", rules=pick("horizontal", "header"), columns=cols,
            totals="right", bank="footer", footer="columns", intro=coin(),
        ),
        # centred letterhead, "Rechnung Nr. X vom Y" as the title line
        "din-compact": lambda: Layout(
            seller="center", logo=b, window="left", sender_line=True, bill_label=False, ship_to=False, meta="inline",
            meta_place="beside", title_place="table", rules=pick("header", "none"), columns=cols,
            totals=pick("right", "box"), bank="footer", footer="lines", intro=b,
        ),
        # US style: logo and seller left, INVOICE top right over a meta table, Bill To / Ship To
        "us-billto": lambda: Layout(
            seller="left", logo=True, window="left", sender_line=False, bill_label=True, ship_to=b,
            meta=pick("table", "list"), meta_place="beside", title_place="top", rules=pick("zebra", "full"),
            columns=cols, totals=pick("box", "right"), bank=pick("text", "none"), footer="lines", intro=False,
        ),
        # a band across the top, meta as a label-above-value grid
        "modern-band": lambda: Layout(
            seller="band", logo=b, window="left", sender_line=False, bill_label=True, ship_to=False, meta="grid",
            meta_place="below", title_place="top", rules=pick("none", "zebra"), columns=cols,
            totals=pick("box", "right"), bank="footer", footer="columns", intro=False,
        ),
        # French: seller top left, buyer at the right, fully ruled table, VAT summary, legal mentions
        "french-classic": lambda: Layout(
            seller="left", logo=b, window="right", sender_line=False, bill_label=coin(), ship_to=False, meta="list",
            meta_place="below", title_place="meta", rules="full", columns=cols, totals=pick("vat_table", "box"),
            bank="footer", footer="lines", intro=coin(),
        ),
        # the seller's name, address, contact, bank and VAT id in a column at the right
        "sidebar": lambda: Layout(
            seller="sidebar", logo=b, window="left", sender_line=False, bill_label=True, ship_to=False,
            meta=pick("list", "grid"), meta_place="below", title_place="top",
            rules=pick("horizontal", "none", "header"), columns=cols, totals="right", bank="header", footer="none",
            intro=False,
        ),
        # meta as a boxed header table across the page, totals beside the payment details
        "boxed-header": lambda: Layout(
            seller="right", logo=b, window="left", sender_line=coin(), bill_label=False, ship_to=False, meta="table",
            meta_place="below", title_place="table", rules="full", columns=cols, totals="beside", bank="text",
            footer="columns", intro=False,
        ),
        # monospaced, little ruling
        "typewriter": lambda: Layout(
            seller=pick("left", "center"), logo=False, window="left", sender_line=False, bill_label=True,
            ship_to=False, meta="list", meta_place="beside", title_place="top", rules=pick("none", "header"),
            columns=cols, totals="right", bank=pick("text", "footer"), footer="lines", intro=False, mono=True,
        ),
        # centred logo and name with the bank on one line under it, meta grid
        "letterhead": lambda: Layout(
            seller="center", logo=True, window=pick("left", "right"), sender_line=False, bill_label=False,
            ship_to=False, meta="grid", meta_place="below", title_place="table", rules="horizontal", columns=cols,
            totals="beside", bank="header", footer=pick("lines", "columns"), intro=coin(),
        ),
        # seller left, "Invoice to" left, title over the meta list at the right
        "two-column": lambda: Layout(
            seller="left", logo=b, window="left", sender_line=False, bill_label=True, ship_to=b, meta="list",
            meta_place="beside", title_place="meta", rules=pick("full", "zebra"), columns=cols,
            totals=pick("right", "box"), bank="footer", footer="columns", intro=False,
        ),
        # totals as a VAT summary table (rate, net, VAT, gross)
        "tax-summary": lambda: Layout(
            seller=pick("left", "right"), logo=b, window="left", sender_line=coin(), bill_label=False,
            ship_to=False, meta="list", meta_place="beside", title_place="table", rules=pick("header", "horizontal"),
            columns=cols, totals="vat_table", bank="footer", footer="columns", intro=b,
        ),
        # bank details and VAT id in the seller's block at the top right
        "header-bank": lambda: Layout(
            seller="right", logo=b, window="left", sender_line=True, bill_label=False, ship_to=False,
            meta=pick("list", "inline"), meta_place="beside", title_place="table",
            rules=pick("full", "none", "horizontal"), columns=cols, totals="right", bank="header", footer="lines",
            intro=False,
        ),
        # title and meta grid or table at the left under the seller, buyer right, totals in a box
        "statement": lambda: Layout(
            seller="left", logo=b, window="right", sender_line=False, bill_label=True, ship_to=False,
            meta=pick("grid", "table"), meta_place="below", title_place="meta", rules=pick("zebra", "header"),
            columns=cols, totals="box", bank=pick("text", "footer"), footer="lines", intro=False,
        ),
    }  # fmt: skip
    return specs[name]()


TEMPLATES = (
    "din-classic", "din-compact", "us-billto", "modern-band", "french-classic", "sidebar", "boxed-header",
    "typewriter", "letterhead", "two-column", "tax-summary", "header-bank", "statement",
)  # fmt: skip

# --- fonts -----------------------------------------------------------------------------------------------------

FONT_FAMILIES = (
    ("opentype/urw-base35/NimbusSans-Regular.otf", "opentype/urw-base35/NimbusSans-Bold.otf"),
    ("opentype/urw-base35/NimbusRoman-Regular.otf", "opentype/urw-base35/NimbusRoman-Bold.otf"),
    ("opentype/urw-base35/URWGothic-Book.otf", "opentype/urw-base35/URWGothic-Demi.otf"),
    ("opentype/urw-base35/C059-Roman.otf", "opentype/urw-base35/C059-Bold.otf"),
    ("opentype/urw-base35/P052-Roman.otf", "opentype/urw-base35/P052-Bold.otf"),
    ("opentype/urw-base35/URWBookman-Light.otf", "opentype/urw-base35/URWBookman-Demi.otf"),
    ("opentype/urw-base35/NimbusSansNarrow-Regular.otf", "opentype/urw-base35/NimbusSansNarrow-Bold.otf"),
    ("truetype/dejavu/DejaVuSans.ttf", "truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("truetype/dejavu/DejaVuSerif.ttf", "truetype/dejavu/DejaVuSerif-Bold.ttf"),
    ("truetype/dejavu/DejaVuSansCondensed.ttf", "truetype/dejavu/DejaVuSansCondensed-Bold.ttf"),
)
MONO_FAMILIES = (
    ("opentype/urw-base35/NimbusMonoPS-Regular.otf", "opentype/urw-base35/NimbusMonoPS-Bold.otf"),
    ("truetype/dejavu/DejaVuSansMono.ttf", "truetype/dejavu/DejaVuSansMono-Bold.ttf"),
)


@functools.cache
def _installed(mono: bool) -> tuple[tuple[str, str], ...]:
    roots = sorted(glob.glob("/usr/share/fonts")) + sorted(glob.glob("/usr/local/share/fonts"))
    found = []
    for regular, bold in MONO_FAMILIES if mono else FONT_FAMILIES:
        for root in roots:
            paths = (Path(root) / regular, Path(root) / bold)
            if all(p.exists() for p in paths):
                found.append((str(paths[0]), str(paths[1])))
                break
    return tuple(found)


@functools.lru_cache(maxsize=256)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if not path:
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size)


# --- drawing ---------------------------------------------------------------------------------------------------

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


class Painter:
    """One page raster and the strings drawn on it."""

    def __init__(self, dpi: int, page: int, family: tuple[str, str], base_pt: float, ink: int) -> None:
        self.dpi, self.page, self.family, self.base_pt, self.ink = dpi, page, family, base_pt, ink
        self.width, self.height = round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)
        self.image = Image.new("L", (self.width, self.height), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.texts: list[tuple[int, str, BoxT]] = []

    def mm(self, value: float) -> int:
        return round(value / 25.4 * self.dpi)

    def font(self, scale: float = 1.0, *, bold: bool = False) -> Font:
        return _font(self.family[1 if bold else 0], max(6, round(self.base_pt * scale * self.dpi / 72)))

    def fit(self, text: str, scale: float, width: int, *, bold: bool = False) -> Font:
        """The font at `scale`, smaller when `text` would be wider than `width`."""
        font = self.font(scale, bold=bold)
        while scale > 0.9 and self.width_of(text, font) > width:
            scale *= 0.92
            font = self.font(scale, bold=bold)
        return font

    def line_height(self, font: Font, spacing: float = 1.3) -> int:
        return round(getattr(font, "size", 12) * spacing)

    def width_of(self, text: str, font: Font) -> int:
        return round(font.getlength(text))

    def text(self, x: float, y: float, text: str, font: Font, *, align: str = "l", fill: int | None = None) -> BoxT:
        """Draw `text` with its top at y; align "l"/"r"/"m" to x. Returns the ink box."""
        anchor = {"l": "la", "r": "ra", "m": "ma"}[align]
        colour = self.ink if fill is None else fill
        self.draw.text((x, y), text, font=font, fill=colour, anchor=anchor)
        left, top, right, bottom = (int(v) for v in self.draw.textbbox((x, y), text, font=font, anchor=anchor))
        box = (left, top, right, bottom)
        if text.strip():
            self.texts.append((self.page, text, box))
        return box

    def hline(self, x0: float, x1: float, y: float, width: int = 1, fill: int | None = None) -> None:
        self.draw.line((x0, y, x1, y), fill=self.ink if fill is None else fill, width=max(1, width))

    def vline(self, x: float, y0: float, y1: float, width: int = 1) -> None:
        self.draw.line((x, y0, x, y1), fill=self.ink, width=max(1, width))

    def rect(self, box: Sequence[float], *, fill: int | None = None, outline: bool = True, width: int = 1) -> None:
        self.draw.rectangle(tuple(box), fill=fill, outline=self.ink if outline else None, width=max(1, width))  # type: ignore[arg-type]


def _wrap(text: str, font: Font, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and font.getlength(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines


class Renderer:
    def __init__(self, content: Content, layout: Layout, rng: random.Random, dpi: int) -> None:
        self.c, self.lay, self.rng, self.dpi = content, layout, rng, dpi
        self.loc = content.locale
        self.lab = LABELS[self.loc.language]
        families = _installed(layout.mono) or _installed(False) or (("", ""),)
        self.family = rng.choice(families)
        self.base_pt = rng.uniform(8.0, 10.0) if not layout.mono else rng.uniform(8.0, 9.0)
        self.ink = rng.randint(0, 45)
        self.grey = rng.choice((self.ink, 70, 95))  # labels in grey sometimes
        self.pages: list[Painter] = []
        self.truth: dict[str, str | None] = dict.fromkeys(FIELDS)
        self.printed: dict[str, str] = {}
        self.items: list[tuple[Row, int, BoxT]] = []
        self.colon = rng.choice((":", ":", ""))
        self.show_vat = content.seller.vat_id is not None and rng.random() < 0.85
        self.new_page()

    # -- helpers --

    @property
    def p(self) -> Painter:
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append(Painter(self.dpi, len(self.pages) + 1, self.family, self.base_pt, self.ink))
        p = self.p
        self.left = p.mm(self.rng.uniform(18, 25))
        self.right = p.width - p.mm(self.rng.uniform(14, 20))
        if self.lay.seller == "sidebar":
            self.side_left = self.right - p.mm(48)
            self.main_right = self.side_left - p.mm(8)
        else:
            self.main_right = self.right
        self.bottom = p.height - p.mm(18 if self.lay.footer == "none" else 38)

    def label(self, key: str, **fmt: str) -> str:
        options = US_LABELS.get(key, self.lab[key]) if self.loc.country == "US" else self.lab[key]
        return self.rng.choice(options).format(**fmt)

    def put(self, name: str, value: str | None, printed: str) -> None:
        """Record a truth value and the string that prints it."""
        self.truth[name] = value
        self.printed[name] = printed

    def amount(self, value: Decimal, *, totals: bool = True) -> str:
        return self.loc.money(value, self.loc.cur_totals if totals else self.loc.cur_table)

    def rate_str(self, rate: Decimal) -> str:
        return format(rate.quantize(CENT), "f")

    def address_truth(self, party: Party) -> str:
        return ", ".join(party.lines())

    def vat_label(self) -> str:
        return self.label("vat_id") + self.colon

    # -- blocks --

    def logo(self, x: int, y: int, size: int, align: str) -> int:
        """A drawn mark and a wordmark; returns its width."""
        p, rng = self.p, self.rng
        x0 = x - size if align == "r" else (x - size // 2 if align == "m" else x)
        shape = rng.choice(("circle", "square", "triangle", "bars"))
        shade = rng.choice((0, 60, 120))
        if shape == "circle":
            p.draw.ellipse((x0, y, x0 + size, y + size), fill=shade)
        elif shape == "square":
            p.draw.rectangle((x0, y, x0 + size, y + size), outline=shade, width=max(2, size // 10))
            p.draw.rectangle((x0 + size // 4, y + size // 4, x0 + 3 * size // 4, y + 3 * size // 4), fill=shade)
        elif shape == "triangle":
            p.draw.polygon([(x0, y + size), (x0 + size // 2, y), (x0 + size, y + size)], fill=shade)
        else:
            for i in range(4):
                h = size * (i + 1) // 4
                p.draw.rectangle((x0 + i * size // 4, y + size - h, x0 + (i + 1) * size // 4 - 3, y + size), fill=shade)
        return size

    def seller_block(self, top: int) -> int:
        """The seller's name, address and contact at the top; returns the block's bottom."""
        lay, c, p, rng = self.lay, self.c, self.p, self.rng
        s = c.seller
        wide = lay.seller in ("center", "band")
        name_font = p.fit(s.name, rng.uniform(1.5, 2.2), p.mm(150 if wide else 85), bold=True)
        small = p.font(rng.uniform(0.85, 1.0))
        lh = p.line_height(small)
        y = top
        if lay.seller == "band":
            band_h = p.mm(rng.uniform(24, 32))
            dark = rng.random() < 0.5
            p.rect((0, top - p.mm(4), p.width, top + band_h), fill=rng.randint(30, 70) if dark else 225, outline=False)
            colour = 255 if dark else self.ink
            x = self.left
            if lay.logo:
                size = p.mm(12)
                self.logo(x, top + (band_h - size) // 2, size, "l")
                x += size + p.mm(4)
            box = p.text(x, top + p.mm(4), s.name, name_font, fill=colour)
            self.put("vendorName", s.name, s.name)
            one = " · ".join(s.lines())
            p.text(x, box[3] + p.mm(2), one, small, fill=colour)
            self.put("vendorAddress", self.address_truth(s), one)
            return top + band_h
        if lay.seller == "center":
            cx = p.width // 2
            if lay.logo:
                size = p.mm(rng.uniform(10, 16))
                self.logo(cx, y, size, "m")
                y += size + p.mm(3)
            box = p.text(cx, y, s.name, name_font, align="m")
            self.put("vendorName", s.name, s.name)
            sep = rng.choice((" · ", " | ", " - ", ", "))
            one = sep.join(s.lines())
            box = p.text(cx, box[3] + p.mm(2), one, small, align="m")
            self.put("vendorAddress", self.address_truth(s), one)
            y = box[3] + p.mm(1.5)
            p.text(cx, y, f"{self.label('phone')} {c.phone}{sep}{c.email}", small, align="m")
            y += lh
            if lay.bank == "header":
                y = self.bank_lines(cx, y, small, "m", one_line=True)
            return y + p.mm(2)
        if lay.seller == "sidebar":
            x, y = self.side_left, top
            if lay.logo:
                size = p.mm(14)
                self.logo(x, y, size, "l")
                y += size + p.mm(3)
            words = _wrap(s.name, name_font, self.right - x)
            for part in words:
                box = p.text(x, y, part, name_font)
                y = box[3] + p.mm(1.5)
            self.put("vendorName", s.name, s.name)
            y += p.mm(3)
            for line in s.lines():
                p.text(x, y, line, small)
                y += lh
            self.put("vendorAddress", self.address_truth(s), s.lines()[0])
            y += lh // 2
            for line in (f"{self.label('phone')} {c.phone}", c.email, c.web):
                p.text(x, y, line, small)
                y += lh
            y += lh // 2
            y = self.bank_lines(x, y, small, "l")
            if s.vat_id and self.show_vat:
                p.text(x, y, self.vat_label(), small, fill=self.grey)
                y += lh
                printed = self.vat_print(s.vat_id)
                p.text(x, y, printed, small)
                y += lh
                self.put("vendorTaxId", s.vat_id, printed)
            for line in c.registration[:2]:
                for part in _wrap(line, small, self.right - x):
                    p.text(x, y, part, small)
                    y += lh
            return top  # the main column starts at the top too
        align = "r" if lay.seller == "right" else "l"
        x = self.right if align == "r" else self.left
        text_x = x
        if lay.logo:
            size = p.mm(rng.uniform(12, 18))
            self.logo(x, y, size, align)
            if rng.random() < 0.5:
                text_x = x - size - p.mm(4) if align == "r" else x + size + p.mm(4)
            else:
                y += size + p.mm(3)
        box = p.text(text_x, y, s.name, name_font, align=align)
        self.put("vendorName", s.name, s.name)
        y = box[3] + p.mm(2.5)
        for line in s.lines():
            p.text(text_x, y, line, small, align=align)
            y += lh
        self.put("vendorAddress", self.address_truth(s), s.lines()[0])
        if rng.random() < 0.7:
            p.text(text_x, y, f"{self.label('phone')} {c.phone}", small, align=align)
            y += lh
            p.text(text_x, y, c.email, small, align=align)
            y += lh
        if lay.bank == "header":
            y = self.bank_lines(text_x, y + lh // 3, small, align)
            if s.vat_id and self.show_vat:
                printed = self.vat_print(s.vat_id)
                p.text(text_x, y, f"{self.vat_label()} {printed}", small, align=align)
                self.put("vendorTaxId", s.vat_id, printed)
                y += lh
        return y

    def vat_print(self, vat: str) -> str:
        if self.rng.random() < 0.3 and vat[:2] in ("DE", "GB"):
            return f"{vat[:2]} {vat[2:5]} {vat[5:8]} {vat[8:]}"
        if self.rng.random() < 0.3 and vat[:2] == "FR":
            return f"{vat[:2]} {vat[2:4]} {vat[4:7]} {vat[7:10]} {vat[10:]}"
        return vat

    def iban_print(self, iban: str) -> str:
        if self.rng.random() < 0.7:
            return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        return iban

    def bank_lines(self, x: int, y: int, font: Font, align: str, *, one_line: bool = False) -> int:
        """Bank name, IBAN and BIC (or routing and account numbers for the US); returns the y below."""
        c, p = self.c, self.p
        lh = p.line_height(font)
        parts = [c.bank]
        if c.iban:
            printed = self.iban_print(c.iban)
            parts.append(f"IBAN{self.colon} {printed}")
            self.put("iban", c.iban, printed)
        else:
            parts.append(f"Routing No. {self.rng.randint(10, 99)}{self.rng.randint(1000000, 9999999)}")
            parts.append(f"Account {self.rng.randint(10000000, 999999999)}")
        if c.bic:
            parts.append(f"{self.rng.choice(('BIC', 'SWIFT', 'BIC/SWIFT', 'SWIFT/BIC'))}{self.colon} {c.bic}")
            self.put("bic", c.bic, c.bic)
        if one_line:
            p.text(x, y, "  ".join(parts), font, align=align)
            return y + lh
        for part in parts:
            p.text(x, y, part, font, align=align)
            y += lh
        return y

    def address_window(self, top: int, x: int, width: int) -> int:
        lay, c, p, rng = self.lay, self.c, self.p, self.rng
        y = top
        if lay.sender_line:
            sender = f"{c.seller.name} · {c.seller.street} · {c.seller.town}"
            tiny = p.font(0.72)
            box = p.text(x, y, sender, tiny)
            p.hline(box[0], box[2], box[3] + p.mm(0.6))
            y = box[3] + p.mm(4)
        font = p.font(rng.uniform(1.0, 1.15))
        lh = p.line_height(font, rng.uniform(1.2, 1.4))
        if lay.bill_label:
            box = p.text(x, y, self.label("bill_to").rstrip(":") + self.colon, p.font(0.95, bold=True), fill=self.grey)
            y = box[3] + p.mm(2)
        start = y
        self.window_block(x, y, c.buyer, font, lh, customer=True)
        if lay.ship_to and c.ship_to is not None:
            sx = x + width // 2
            if lay.bill_label:
                p.text(sx, start - p.mm(2) - lh, self.label("ship_to") + self.colon, p.font(0.95, bold=True))
            self.window_block(sx, start, c.ship_to, font, lh, customer=False)
        return y + lh * (len(c.buyer.lines()) + 2)

    def window_block(self, x: int, y: int, party: Party, font: Font, lh: int, *, customer: bool) -> None:
        p = self.p
        p.text(x, y, party.name, font)
        y += lh
        if customer:
            self.put("customerName", party.name, party.name)
            if self.rng.random() < 0.25 and party.name != party.person:
                p.text(x, y, self.label("attn", p=party.person), font)
                y += lh
        for line in party.lines():
            p.text(x, y, line, font)
            y += lh
        if customer:
            self.put("customerAddress", self.address_truth(party), party.street)
            if self.rng.random() < 0.15 and party.vat_id and party.country != self.c.seller.country:
                p.text(x, y + lh // 2, f"{self.vat_label()} {party.vat_id}", p.font(0.85))

    def meta_pairs(self) -> list[tuple[str, str]]:
        c, loc, rng = self.c, self.loc, self.rng
        number_label = self.label("number")
        pairs = [(number_label, c.number), (self.label("date"), loc.date(c.issued))]
        self.put("invoiceNumber", c.number, c.number)
        self.put("invoiceDate", c.issued.isoformat(), pairs[1][1])
        if rng.random() < 0.6:
            pairs.append((self.label("customer_no"), c.customer_no))
        if c.order_no:
            pairs.append((self.label("order"), c.order_no))
            self.put("purchaseOrder", c.order_no, c.order_no)
        if rng.random() < 0.35:
            pairs.append((self.label("delivery"), loc.date(c.delivered)))
        if c.due is not None and rng.random() < 0.5:
            printed = loc.date(c.due)
            pairs.append((self.label("due"), printed))
            self.put("dueDate", c.due.isoformat(), printed)
        if rng.random() < 0.15:
            pairs.append((self.label("currency"), c.locale.currency))
            self.put("currency", c.locale.currency, c.locale.currency)
        head, tail = pairs[:2], pairs[2:]
        rng.shuffle(tail)
        if rng.random() < 0.3:
            head.reverse()
        return head + tail

    def title(self, x: int, y: int, align: str, scale: float | None = None) -> int:
        font = self.p.font(scale or self.rng.uniform(1.5, 2.4), bold=True)
        box = self.p.text(x, y, self.label("title"), font, align=align)
        return box[3] + self.p.mm(4)

    def meta_block(self, x: int, y: int, width: int, pairs: list[tuple[str, str]]) -> int:
        """The invoice's numbers and dates in the layout's style; returns the bottom."""
        p, rng = self.p, self.rng
        font = p.font(rng.uniform(0.9, 1.05))
        label_font = p.font(rng.uniform(0.9, 1.0), bold=rng.random() < 0.4)
        lh = p.line_height(font, rng.uniform(1.25, 1.5))
        style = self.lay.meta if self.lay.meta != "inline" else "list"
        if style == "list":
            label_w = max(p.width_of(k + self.colon, label_font) for k, _ in pairs)
            value_w = max(p.width_of(v, font) for _, v in pairs)
            gap = p.mm(rng.uniform(3, 8))
            if x + label_w + gap + value_w > x + width:
                x = x + width - label_w - gap - value_w
            right_values = rng.random() < 0.4
            for k, v in pairs:
                p.text(x, y, k + self.colon, label_font, fill=self.grey)
                if right_values:
                    p.text(x + label_w + gap + value_w, y, v, font, align="r")
                else:
                    p.text(x + label_w + gap, y, v, font)
                y += lh
            return y
        cell = width // max(1, len(pairs))
        small = p.font(0.8, bold=style == "table")
        if style == "grid":
            if cell < max(p.width_of(v, font) for _, v in pairs) + p.mm(3):
                half = (len(pairs) + 1) // 2
                return self.meta_block(x, self.meta_block(x, y, width, pairs[:half]) + p.mm(2), width, pairs[half:])
            for i, (k, v) in enumerate(pairs):
                box = p.text(x + i * cell, y, k, small, fill=self.grey)
                p.text(x + i * cell, box[3] + p.mm(1.5), v, font)
            return y + lh * 2 + p.mm(2)
        # a boxed table: one row of labels over one row of values
        widths = [max(p.width_of(k, small), p.width_of(v, font)) + p.mm(4) for k, v in pairs]
        if sum(widths) > width:
            half = (len(pairs) + 1) // 2
            return self.meta_block(x, self.meta_block(x, y, width, pairs[:half]) + p.mm(2), width, pairs[half:])
        scale = width / sum(widths) if rng.random() < 0.6 else 1.0
        widths = [round(w * scale) for w in widths]
        row_h = lh + p.mm(1)
        shade = rng.choice((None, 225, 235))
        cx = x
        for w, (k, v) in zip(widths, pairs, strict=True):
            p.rect((cx, y, cx + w, y + row_h), fill=shade)
            p.rect((cx, y + row_h, cx + w, y + 2 * row_h), fill=None)
            p.text(cx + p.mm(2), y + p.mm(1.5), k, small)
            p.text(cx + p.mm(2), y + row_h + p.mm(1.5), v, font)
            cx += w
        return y + 2 * row_h + p.mm(3)

    def inline_title(self, x: int, y: int) -> int:
        """ "Rechnung Nr. 2024-0815 vom 05.06.2024" as the title line."""
        c, loc, p = self.c, self.loc, self.p
        printed_date = loc.date(c.issued)
        word = {
            "en": ("Invoice", "dated", "of"),
            "de": ("Rechnung Nr.", "vom", "vom"),
            "fr": ("Facture n°", "du", "du"),
        }
        title, dated, _ = word[loc.language]
        text = f"{title} {c.number} {dated} {printed_date}"
        box = p.text(x, y, text, p.font(self.rng.uniform(1.3, 1.7), bold=True))
        self.put("invoiceNumber", c.number, c.number)
        self.put("invoiceDate", c.issued.isoformat(), printed_date)
        return box[3] + p.mm(5)

    def header(self) -> int:
        """Everything above the table; returns where the table starts."""
        lay, p, rng = self.lay, self.p, self.rng
        top = p.mm(rng.uniform(10, 18))
        seller_bottom = self.seller_block(top)
        main_left, main_right = self.left, self.main_right
        width = main_right - main_left
        y = seller_bottom + p.mm(rng.uniform(6, 12))
        if lay.seller in ("left", "right") and lay.title_place == "top":
            if lay.seller == "left":
                self.title(main_right, top, "r")
            else:
                self.title(main_left, top, "l")
        elif lay.seller in ("band", "sidebar", "center") and lay.title_place == "top":
            y = self.title(main_left, y, "l")
        if lay.window == "left":
            y = max(y, p.mm(rng.uniform(40, 50))) if lay.seller != "band" else y
        window_w = width // 2 - p.mm(5)
        window_x = main_left if lay.window == "left" else main_left + width // 2 + p.mm(8)
        if lay.window == "right" and lay.seller == "left" and lay.meta_place == "below" and lay.title_place == "meta":
            # French style: the buyer at the right, at the seller's height
            window_y = top + p.mm(rng.uniform(20, 30))
            window_bottom = self.address_window(window_y, window_x, window_w)
            y = max(seller_bottom + p.mm(8), window_bottom + p.mm(4))
        elif lay.ship_to and lay.meta_place == "beside":
            # bill-to and ship-to side by side: the meta block goes up, under the title at the right
            pairs = self.meta_pairs()
            meta_x = main_left + width // 2 + p.mm(15)
            meta_y = max(top + p.mm(16), seller_bottom - p.mm(20))
            if lay.title_place == "meta":
                meta_y = self.title(meta_x, top, "l", 1.5)
            bottom = self.meta_block(meta_x, meta_y, main_right - meta_x, pairs)
            y = max(y, bottom + p.mm(8))
            window_bottom = self.address_window(y, main_left, width)
            return self.after_meta(max(window_bottom, y) + p.mm(4))
        else:
            window_bottom = self.address_window(y, window_x, window_w)
        pairs = self.meta_pairs()
        if lay.meta == "inline":
            pairs = [kv for kv in pairs if kv[0] not in self.lab["number"] and kv[0] not in self.lab["date"]]
        if lay.meta_place == "beside":
            meta_x = main_left + width // 2 + p.mm(10) if lay.window == "left" else main_left
            meta_w = main_right - meta_x if lay.window == "left" else width // 2 - p.mm(5)
            meta_y = y + (p.mm(6) if lay.sender_line else 0)
            if lay.title_place == "meta":
                meta_y = self.title(meta_x, meta_y, "l", 1.4)
            bottom = self.meta_block(meta_x, meta_y, meta_w, pairs) if pairs else meta_y
            y = max(window_bottom, bottom) + p.mm(6)
        else:
            y = max(window_bottom, y) + p.mm(4)
            if lay.title_place == "meta":
                y = self.title(main_left, y, "l", 1.5)
            if pairs:
                y = self.meta_block(main_left, y, width, pairs) + p.mm(4)
        return self.after_meta(y)

    def after_meta(self, y: int) -> int:
        lay, p, rng = self.lay, self.p, self.rng
        main_left = self.left
        if lay.meta == "inline":
            y = self.inline_title(main_left, y)
        elif lay.title_place == "table":
            y = self.title(main_left, y, "l", rng.uniform(1.3, 1.8))
        if lay.intro:
            font = p.font(1.0)
            for line in rng.sample(INTRO[self.loc.language], k=1):
                p.text(main_left, y, line, font)
                y += p.line_height(font)
            y += p.mm(3)
        return y

    # -- the table --

    def table(self, y: int) -> int:
        lay, c, p, rng, loc = self.lay, self.c, self.p, self.rng, self.loc
        cols = list(lay.columns)
        if c.no_tax and "vat" in cols:
            cols.remove("vat")
        font = p.font(rng.uniform(0.9, 1.0))
        head_font = p.font(rng.uniform(0.9, 1.0), bold=rng.random() < 0.8)
        lh = p.line_height(font, rng.uniform(1.15, 1.3))
        pad = p.mm(rng.uniform(1.2, 2.5))
        headers = {k: self.label(k) for k in cols}
        if rng.random() < 0.3 and loc.cur_table == "" and "amount" in cols:
            code = c.locale.currency if rng.random() < 0.5 else SIGNS[c.locale.currency]
            headers["amount"] = f"{headers['amount']} ({code})"
            self.put("currency", c.locale.currency, code)
        fixed_qty = rng.random() < 0.3
        padded = rng.random() < 0.15
        cells: list[dict[str, str]] = []
        position = 0
        for row in c.rows:
            cell = {"desc": row.description}
            if row.kind == "item":
                position += 1
                assert row.quantity is not None and row.price is not None and row.amount is not None
                cell |= {
                    "pos": str(position) if not padded else f"{position:02d}",
                    "qty": loc.quantity(row.quantity, fixed=fixed_qty),
                    "unit": row.unit or "",
                    "price": self.amount(row.price, totals=False),
                    "amount": self.amount(row.amount, totals=False),
                }
            elif row.amount is not None:
                cell["amount"] = self.amount(row.amount, totals=False)
            if row.rate is not None and row.kind != "note":
                cell["vat"] = loc.rate(row.rate)
            if "unit" not in cols and row.kind == "item" and "qty" in cols and rng.random() < 0.3:
                cell["qty"] = f"{cell['qty']} {row.unit}"
            cells.append(cell)
        numeric = [k for k in cols if k != "desc"]
        widths = {
            k: max([p.width_of(headers[k], head_font)] + [p.width_of(cl.get(k, ""), font) for cl in cells]) + 2 * pad
            for k in numeric
        }
        left, right = self.left, self.main_right
        widths["desc"] = (right - left) - sum(widths.values())
        if widths["desc"] < p.mm(40):
            font = p.font(0.85)
            head_font = p.font(0.85, bold=True)
            lh = p.line_height(font, 1.2)
            for k in numeric:
                widths[k] = round(widths[k] * 0.85)
            widths["desc"] = (right - left) - sum(widths[k] for k in numeric)
        xs: dict[str, tuple[int, int]] = {}
        x = left
        for k in cols:
            xs[k] = (x, x + widths[k])
            x += widths[k]
        rules = lay.rules
        zebra = 240 if rules == "zebra" else None
        head_fill = rng.choice((None, 215, 230)) if rules in ("full", "zebra", "header") else None

        def draw_header(y: int) -> int:
            h = lh + 2 * pad
            if head_fill is not None:
                p.rect((left, y, right, y + h), fill=head_fill, outline=rules == "full")
            elif rules == "full":
                p.rect((left, y, right, y + h))
            for k in cols:
                x0, x1 = xs[k]
                if k == "desc":
                    p.text(x0 + pad, y + pad, headers[k], head_font)
                else:
                    p.text(x1 - pad, y + pad, headers[k], head_font, align="r")
            if rules != "none" or rng.random() < 0.5:
                p.hline(left, right, y + h, width=p.mm(0.3))
            if rules == "none" and rng.random() < 0.3:
                p.hline(left, right, y, width=p.mm(0.3))
            return y + h

        # the "carried forward" line and the room the last row leaves for the totals
        carry = rng.random() < 0.6
        table_top = y
        y = draw_header(y)
        running = Decimal(0)
        for index, (row, cell) in enumerate(zip(c.rows, cells, strict=True)):
            desc_lines = _wrap(cell["desc"], font, widths["desc"] - 2 * pad) or [""]
            h = lh * len(desc_lines) + 2 * pad
            if y + h > self.bottom - (lh + 2 * pad if carry else 0):
                if rules == "full":
                    self.verticals(xs, cols, table_top, y)
                if carry:
                    label = self.label("carried")
                    p.text(xs["desc"][0] + pad, y + pad, label, head_font)
                    p.text(right - pad, y + pad, self.amount(running, totals=False), head_font, align="r")
                self.footer()
                self.new_page()
                p = self.p
                y = self.continuation_header()
                table_top = y
                y = draw_header(y)
                if carry:
                    p.text(xs["desc"][0] + pad, y + pad, self.label("brought"), head_font)
                    p.text(right - pad, y + pad, self.amount(running, totals=False), head_font, align="r")
                    y += lh + 2 * pad
            boxes: list[BoxT] = []
            if zebra is not None and index % 2 == 1:
                p.rect((left, y, right, y + h), fill=zebra, outline=False)
            for k in cols:
                x0, x1 = xs[k]
                if k == "desc":
                    for j, part in enumerate(desc_lines):
                        italic = row.kind == "note"
                        boxes.append(p.text(x0 + pad, y + pad + j * lh, part, font, fill=110 if italic else None))
                elif cell.get(k):
                    boxes.append(p.text(x1 - pad, y + pad, cell[k], font, align="r"))
            y += h
            if rules in ("full", "horizontal"):
                p.hline(left, right, y, fill=self.ink if rules == "full" else 150)
            if row.amount is not None:
                running += row.amount
            if row.kind != "note":
                box = (
                    min(b[0] for b in boxes),
                    min(b[1] for b in boxes),
                    max(b[2] for b in boxes),
                    max(b[3] for b in boxes),
                )
                self.items.append((row, p.page, box))
        if rules == "full":
            self.verticals(xs, cols, table_top, y)
        if rules in ("header", "zebra", "none") and rng.random() < 0.5:
            p.hline(left, right, y, width=p.mm(0.25))
        self.amount_x = xs["amount"][1] - pad if "amount" in xs else right - pad
        self.has_rate_column = "vat" in cols
        return y + p.mm(rng.uniform(3, 7))

    def verticals(self, xs: dict[str, tuple[int, int]], cols: list[str], top: int, bottom: int) -> None:
        p = self.p
        for k in cols:
            p.vline(xs[k][0], top, bottom)
        p.vline(xs[cols[-1]][1], top, bottom)
        p.hline(xs[cols[0]][0], xs[cols[-1]][1], bottom)

    def continuation_header(self) -> int:
        p, c = self.p, self.c
        top = p.mm(15)
        font = p.font(0.95)
        p.text(self.left, top, c.seller.name, p.font(1.1, bold=True))
        text = f"{self.label('title').title()} {c.number}"
        p.text(self.main_right, top, text, font, align="r")
        return top + p.mm(14)

    # -- totals --

    def totals(self, y: int) -> int:
        lay, c, p, rng, loc = self.lay, self.c, self.p, self.rng, self.loc
        font = p.font(rng.uniform(0.95, 1.05))
        bold = p.font(rng.uniform(1.05, 1.25), bold=True)
        lh = p.line_height(font, rng.uniform(1.3, 1.5))
        lines: list[tuple[str, str, bool, tuple[str, ...]]] = []  # label, value, bold, truth fields
        single = len(c.taxes) == 1
        table = lay.totals == "vat_table" and not c.no_tax
        if c.no_tax:
            if rng.random() < 0.6:
                lines.append((self.label("total"), self.amount(c.total), True, ("total",)))
            else:
                lines.append((self.label("amount_due"), self.amount(c.total), True, ("total", "amountDue")))
        else:
            if not table:
                lines.append((self.label("subtotal"), self.amount(c.net), False, ("subtotal",)))
                with_rate = rng.random() < 0.8 or not single
                for rate, (base, tax) in c.taxes.items():
                    if with_rate:
                        number = loc.rate(rate).replace("%", "").strip()
                        label = self.label("tax", r=number)
                        if single:
                            self.put("taxRate", self.rate_str(rate), number)
                        if not single and rng.random() < 0.4:
                            label += {"en": " on ", "de": " auf ", "fr": " sur "}[loc.language] + loc.number(base)
                    else:
                        label = self.label("tax_norate")
                    lines.append((label, self.amount(tax), False, ("taxAmount",) if single else ()))
                if not single and rng.random() < 0.5:
                    total_tax = sum((t for _, t in c.taxes.values()), Decimal(0))
                    lines.append((self.label("tax_total"), self.amount(total_tax), False, ("taxAmount",)))
            lines.append((self.label("total"), self.amount(c.total), True, ("total",)))
        if c.prepaid:
            lines.append((self.label("prepay"), self.amount(-c.prepaid), False, ()))
            lines.append((self.label("amount_due"), self.amount(c.total - c.prepaid), True, ("amountDue",)))
        elif not c.no_tax and rng.random() < 0.3:
            lines.append((self.label("amount_due"), self.amount(c.total), True, ("amountDue",)))
        if single and self.has_rate_column and self.truth["taxRate"] is None:
            rate = next(iter(c.taxes))
            self.put("taxRate", self.rate_str(rate), loc.rate(rate).replace("%", "").strip())
        notes_room = p.mm(45 if lay.bank == "text" else 22)
        room = (len(lines) + (len(c.taxes) + 3 if table else 0)) * lh + notes_room
        if y + room > self.bottom:
            self.footer()
            self.new_page()
            p = self.p
            y = self.continuation_header()
        if table:
            y = self.vat_table(y, font)
        label_w = max(p.width_of(label, bold) for label, *_ in lines)
        value_w = max(p.width_of(value, bold) for _, value, *_ in lines)
        value_x = self.amount_x if lay.totals != "box" else self.main_right - p.mm(3)
        label_x = value_x - value_w - p.mm(rng.uniform(8, 20)) - label_w
        label_right = rng.random() < 0.3
        top = y
        if lay.totals == "box":
            p.rect((label_x - p.mm(3), y - p.mm(2), self.main_right, y + len(lines) * lh + p.mm(1)), width=p.mm(0.3))
        rule_above_total = rng.random() < 0.5
        for label, value, is_bold, names in lines:
            f = bold if is_bold else font
            if is_bold and rule_above_total:
                y += p.mm(1.5)
                p.hline(label_x, value_x, y - p.mm(1.2))
            if label_right:
                p.text(label_x + label_w, y, label + self.colon, f, align="r")
            else:
                p.text(label_x, y, label + self.colon, f)
            p.text(value_x, y, value, f, align="r")
            for name in names:
                self.put(name, amount_str_of(value, loc), value)
            y += p.line_height(f, 1.45) if is_bold else lh
        if loc.cur_totals and self.truth["currency"] is None:
            sign = SIGNS[loc.currency] if "sign" in loc.cur_totals else loc.currency
            self.put("currency", loc.currency, sign)
        notes_y = y + p.mm(4)
        if lay.totals == "beside":
            notes_y = top
        return self.payment_notes(notes_y, beside=lay.totals == "beside", totals_left=label_x - p.mm(8), after=y)

    def vat_table(self, y: int, font: Font) -> int:
        c, p, loc = self.c, self.p, self.loc
        heads = {
            "en": ("VAT rate", "Net", "VAT", "Gross"),
            "de": ("MwSt.-Satz", "Netto", "MwSt.", "Brutto"),
            "fr": ("Taux TVA", "Base HT", "Montant TVA", "TTC"),
        }[loc.language]
        rows = [(loc.rate(r), loc.number(b), loc.number(t), loc.number(b + t)) for r, (b, t) in c.taxes.items()]
        total_tax = sum((t for _, t in c.taxes.values()), Decimal(0))
        rows.append(("", loc.number(c.net), loc.number(total_tax), loc.number(c.total)))
        small_bold = p.font(0.9, bold=True)
        col_w = max(p.width_of(s, small_bold) for r in [heads, *rows] for s in r) + p.mm(6)
        x_right = self.amount_x
        x0 = x_right - 4 * col_w
        lh = p.line_height(font, 1.35)
        p.hline(x0, x_right, y - p.mm(1))
        for i, h in enumerate(heads):
            p.text(x0 + (i + 1) * col_w - p.mm(2), y, h, small_bold, align="r")
        y += lh
        p.hline(x0, x_right, y - p.mm(1))
        for j, row in enumerate(rows):
            last = j == len(rows) - 1
            for i, s in enumerate(row):
                p.text(x0 + (i + 1) * col_w - p.mm(2), y, s, small_bold if last else font, align="r")
            if last:
                self.put("taxAmount", format(total_tax, "f"), row[2])
                self.put("subtotal", format(c.net, "f"), row[1])
            y += lh
        p.hline(x0, x_right, y - p.mm(1))
        if len(c.taxes) == 1:
            self.put("taxRate", self.rate_str(next(iter(c.taxes))), rows[0][0].replace("%", "").strip())
        return y + p.mm(4)

    def payment_notes(self, y: int, *, beside: bool, totals_left: int, after: int) -> int:
        lay, c, p, rng, loc = self.lay, self.c, self.p, self.rng, self.loc
        font = p.font(rng.uniform(0.85, 1.0))
        lh = p.line_height(font)
        width = (totals_left - self.left) if beside else (self.main_right - self.left)
        lines: list[str] = []
        if c.no_tax:
            lines.append(NO_TAX[loc.language] if loc.country != "US" else "No sales tax charged (resale).")
        due_printed = self.truth["dueDate"] is not None
        if not due_printed and c.due is not None and rng.random() < 0.4:
            printed = loc.date(c.due)
            lines.append(rng.choice(TERMS_DUE[loc.language]).format(due=printed))
            self.put("dueDate", c.due.isoformat(), printed)
        else:
            lines.append(rng.choice(TERMS[loc.language]).format(days=str(c.terms_days)))
        x = self.left
        for text in lines:
            for part in _wrap(text, font, width):
                p.text(x, y, part, font)
                y += lh
        if lay.bank == "text":
            y += lh // 2
            head = self.label("bank") + self.colon
            p.text(x, y, head, p.font(0.95, bold=True))
            y = self.bank_lines(x, y + lh, font, "l")
            if c.seller.vat_id and self.show_vat and rng.random() < 0.5:
                printed = self.vat_print(c.seller.vat_id)
                p.text(x, y, f"{self.vat_label()} {printed}", font)
                self.put("vendorTaxId", c.seller.vat_id, printed)
                y += lh
        return max(y, after)

    def footer(self) -> None:
        lay, c, p, rng = self.lay, self.c, self.p, self.rng
        if lay.footer == "none":
            return
        scale = rng.uniform(0.7, 0.8)
        font = p.font(scale)
        lh = p.line_height(font, 1.25)
        top = p.height - p.mm(rng.uniform(30, 34))
        if rng.random() < 0.7:
            p.hline(self.left, self.right, top - p.mm(2), fill=120)
        s = c.seller
        columns: list[list[str]] = [[s.name, *s.lines()], [f"{self.label('phone')} {c.phone}", c.email, c.web]]
        bank: list[str] = []
        if lay.bank == "footer":
            bank = [c.bank]
            if c.iban:
                printed = self.iban_print(c.iban)
                bank.append(f"IBAN {printed}")
                self.put("iban", c.iban, printed)
            if c.bic:
                bank.append(f"BIC {c.bic}")
                self.put("bic", c.bic, c.bic)
            columns.append(bank)
        legal = list(c.registration)
        if s.vat_id and self.show_vat:
            printed = self.printed.get("vendorTaxId") or self.vat_print(s.vat_id)
            legal.insert(0, f"{self.vat_label()} {printed}")
            self.put("vendorTaxId", s.vat_id, printed)
        columns.append(legal)
        if self.truth["vendorAddress"] is None:
            self.put("vendorAddress", self.address_truth(s), s.lines()[0])
        if lay.footer == "columns":
            gap = p.mm(4)
            widths = [max(p.width_of(line, font) for line in col) for col in columns]
            while sum(widths) + gap * (len(widths) - 1) > self.right - self.left and scale > 0.55:
                scale *= 0.93
                font = p.font(scale)
                widths = [max(p.width_of(line, font) for line in col) for col in columns]
            spare = max(0, (self.right - self.left) - sum(widths) - gap * (len(widths) - 1)) // max(1, len(widths) - 1)
            x = self.left
            for col, width in zip(columns, widths, strict=True):
                yy = top
                for line in col:
                    p.text(x, yy, line, font)
                    yy += lh
                x += width + gap + spare
        else:
            yy = top
            for col in columns:
                text = "  ·  ".join(col) if rng.random() < 0.5 else " | ".join(col)
                for part in _wrap(text, font, self.right - self.left):
                    p.text((self.left + self.right) // 2, yy, part, font, align="m")
                    yy += lh

    def run(self) -> None:
        y = self.header()
        y = self.table(y)
        self.totals(y)
        self.footer()
        if len(self.pages) > 1 and self.rng.random() < 0.8:
            text = self.rng.choice(self.lab["page"])
            for painter in self.pages:
                font = painter.font(0.8)
                painter.text(self.main_right, painter.height - painter.mm(10), text.format(n=painter.page,
                             m=len(self.pages)), font, align="r")  # fmt: skip


def amount_str_of(printed: str, loc: Locale) -> str:
    """The normalised amount of a string this module printed with `loc` (the inverse of Locale.money)."""
    digits = "".join(ch for ch in printed if ch.isdigit() or ch in (loc.decimal, "-"))
    negative = digits.startswith("-")
    whole, _, frac = digits.lstrip("-").rpartition(loc.decimal)
    value = Decimal(f"{whole}.{frac}")
    return format(-value if negative else value, "f")


# --- the scan ----------------------------------------------------------------------------------------------------


def scan(image: Image.Image, rng: random.Random) -> tuple[Image.Image, np.ndarray]:
    """Scanner and printer artefacts at random; returns the page and the 2x3 affine that moved its pixels."""
    gray = np.asarray(image, dtype=np.float32)
    seed = rng.randrange(2**32)
    noise_rng = np.random.default_rng(seed)
    dpi_scale = image.width / 2480
    if rng.random() < 0.15:  # faint print: ink lighter
        gray = 255 - (255 - gray) * rng.uniform(0.45, 0.7)
    if rng.random() < 0.5:
        gray = gray * rng.uniform(0.85, 1.0) + rng.uniform(0, 25)
    matrix = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    out = np.clip(gray, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        sigma = rng.uniform(0.3, 1.1) * dpi_scale
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    if rng.random() < 0.75:
        angle = rng.uniform(-1.5, 1.5)
        centre = (image.width / 2, image.height / 2)
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        out = cv2.warpAffine(out, matrix, (image.width, image.height), flags=cv2.INTER_LINEAR, borderValue=255)
    if rng.random() < 0.5:
        count = rng.randint(30, 600)
        ys = noise_rng.integers(0, image.height, count)
        xs = noise_rng.integers(0, image.width, count)
        radius = max(1, round(1.5 * dpi_scale))
        for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
            cv2.circle(out, (x, y), int(noise_rng.integers(1, radius + 2)), int(noise_rng.integers(0, 120)), -1)
    if rng.random() < 0.4:
        grain = noise_rng.normal(0, rng.uniform(2, 7), out.shape).astype(np.float32)
        out = np.clip(out.astype(np.float32) + grain, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(30, 85)])
        if ok:
            out = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    return Image.fromarray(out, "L"), matrix


def _moved(box: BoxT, matrix: np.ndarray, width: int, height: int) -> BoxT:
    corners = np.array([[box[0], box[1], 1], [box[2], box[1], 1], [box[0], box[3], 1], [box[2], box[3], 1]], float)
    moved = corners @ matrix.T
    left, top = moved.min(axis=0)
    right, bottom = moved.max(axis=0)
    return (
        max(0, int(left)),
        max(0, int(top)),
        min(width, int(np.ceil(right))),
        min(height, int(np.ceil(bottom))),
    )


# --- the generator ---------------------------------------------------------------------------------------------


def _item_of(row: Row, page: int, box: BoxT | None, has: Callable[[str], bool]) -> SynthItem:
    return SynthItem(
        description=" ".join(row.description.split()),
        quantity=format(row.quantity.normalize(), "f") if row.quantity is not None else None,
        unit=row.unit if has("unit") and row.kind == "item" else None,
        unit_price=format(row.price, "f") if row.price is not None else None,
        amount=format(row.amount, "f") if row.amount is not None else "0.00",
        tax_rate=format(row.rate.quantize(CENT), "f") if row.rate is not None and has("vat") else None,
        box=box,
        page=page,
        kind=row.kind,
    )


def make_invoice(index: int, seed: int, *, template: str | None = None) -> SynthInvoice:
    """One invoice from its own seed (generate() draws these from its master seed)."""
    rng = random.Random(seed)
    name = template or rng.choice(TEMPLATES)
    layout = _template(name, rng)
    loc = _locale(rng)
    content = _content(rng, loc)
    if loc.country == "US" and layout.bank == "footer":
        layout.bank = "text"
    dpi = rng.choice((200, 240, 300, 300))
    renderer = Renderer(content, layout, rng, dpi)
    renderer.run()
    pages, texts = [], []
    matrices = []
    for painter in renderer.pages:
        page, matrix = scan(painter.image, rng)
        pages.append(page)
        matrices.append(matrix)
        texts.extend((n, t, _moved(b, matrix, page.width, page.height)) for n, t, b in painter.texts)
    cols = set(layout.columns) - ({"vat"} if content.no_tax else set())
    items = [
        _item_of(row, page, _moved(box, matrices[page - 1], pages[0].width, pages[0].height), cols.__contains__)
        for row, page, box in renderer.items
    ]
    truth = dict(renderer.truth)
    for key in ("subtotal", "taxAmount", "total", "amountDue"):
        if truth[key] is not None:
            truth[key] = format(Decimal(truth[key]).quantize(CENT), "f")
    return SynthInvoice(
        name=f"synth-{seed:010d}-{index:04d}",
        template=name,
        language=loc.language,
        pages=pages,
        dpi=dpi,
        truth=truth,
        items=items,
        printed=renderer.printed,
        texts=texts,
    )


def generate(count: int, *, seed: int) -> Iterator[SynthInvoice]:
    """`count` synthetic invoices, the same ones for the same seed (each drawn from its own sub-seed, so the
    n-th invoice does not depend on how many come after it)."""
    master = random.Random(seed)
    for index in range(count):
        yield make_invoice(index, master.randrange(2**31))


def _json_item(item: SynthItem) -> dict[str, object]:
    return {
        "description": item.description,
        "quantity": item.quantity,
        "unit": item.unit,
        "unitPrice": item.unit_price,
        "amount": item.amount,
        "taxRate": item.tax_rate,
        "box": list(item.box) if item.box else None,
        "page": item.page,
        "kind": item.kind,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pdf", action="store_true", help="also write each invoice as a PDF of its rasters")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    index: dict[str, object] = {}
    for invoice in generate(args.count, seed=args.seed):
        files = []
        for number, page in enumerate(invoice.pages, 1):
            path = args.out / f"{invoice.name}-p{number}.png"
            page.save(path, dpi=(invoice.dpi, invoice.dpi))
            files.append(path.name)
        if args.pdf:
            first, *rest = invoice.pages
            first.save(args.out / f"{invoice.name}.pdf", save_all=True, append_images=rest, resolution=invoice.dpi)
        index[invoice.name] = {
            "template": invoice.template,
            "language": invoice.language,
            "dpi": invoice.dpi,
            "pages": files,
            "truth": invoice.truth,
            "items": [_json_item(i) for i in invoice.items],
        }
        print(invoice.name, invoice.template, invoice.language, len(invoice.pages), "page(s)")
    (args.out / "truth.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
