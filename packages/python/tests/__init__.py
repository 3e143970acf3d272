"""Tests of the Python SDK: `python3 -m unittest` in packages/python (the source tree is put on the
path, so nothing needs installing)."""

import sys
from pathlib import Path

_SRC = str(Path(__file__).resolve().parent.parent / "src")
if _SRC not in sys.path:
    sys.path.insert(0, _SRC)
