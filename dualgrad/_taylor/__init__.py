"""Taylor mode (issue 18): the level (level.py), its rules (rules.py), the collapsed mode for
the Laplacian (collapsed.py), custom Functions (functions.py) and writes (writes.py)."""
