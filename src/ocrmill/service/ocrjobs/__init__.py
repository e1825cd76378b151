"""The ownOCR job API's rules: jobs, their status document, outputs as one ZIP, search, OCR folders."""
