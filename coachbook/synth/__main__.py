"""``python -m coachbook.synth [folder]``: regenerate the bundled synthetic data."""
import sys
import time
from pathlib import Path

from . import write_all

start = time.perf_counter()
paths = write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
for path in paths:
    print(path)
print(f"{len(paths)} files written in {time.perf_counter() - start:.1f} s")
