"""Invoices: what an invoice page says (fields, line items, checks), from OCR words or an embedded e-invoice."""
