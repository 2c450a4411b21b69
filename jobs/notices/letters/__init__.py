"""The letters: rendering, page slots and layers, envelope window, codes, fonts and languages."""
