"""OCR folders (hot folders): watching input folders, placing posted files, delivering results and originals."""
