"""Page clean-up before OCR: geometry (orientation, skew, borders, punch holes), pixels (noise,
halftone, specks, faint text, binarization), and the chain that applies a job's options in order."""
