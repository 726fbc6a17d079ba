"""The `restorer` console script. Importing the command line pulls in numpy and more; Ctrl-C
during that import would otherwise end in a KeyboardInterrupt traceback."""

from __future__ import annotations

import sys


def main() -> int:
    from restorer.core.allocator import fix_mmap_threshold

    fix_mmap_threshold()  # before the large arrays of a job are allocated
    try:
        from restorer.cli.main import main as run
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return run()
