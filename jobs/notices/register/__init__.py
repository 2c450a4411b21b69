"""Reading the register: the file, its encoding, its cells, and the one column table of its residents."""
