#!/usr/bin/env python3
"""Write docs/cli.md from the --help of every incidentctl command.

    python scripts/gen_cli_docs.py            # (re)write docs/cli.md
    python scripts/gen_cli_docs.py --check    # exit 1 when docs/cli.md is out of date

The rendering lives in incidentctl/cli/reference.py, which tests/test_docs.py uses too.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "cli.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the file differs"
    )
    parser.add_argument(
        "output", nargs="?", type=Path, default=DEFAULT_OUTPUT, help="default: docs/cli.md"
    )
    args = parser.parse_args(argv)

    # Document this checkout's code, even when another incidentctl is installed.
    sys.path.insert(0, str(ROOT))
    from incidentctl.cli.reference import render

    wanted = render()
    output: Path = args.output
    current = output.read_text(encoding="utf-8") if output.exists() else ""
    if args.check:
        if current == wanted:
            return 0
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            wanted.splitlines(keepends=True),
            fromfile=f"{output} (checked in)",
            tofile=f"{output} (from --help)",
        )
        sys.stderr.writelines(diff)
        sys.stderr.write(f"{output} is out of date: run python scripts/gen_cli_docs.py\n")
        return 1
    if current != wanted:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(wanted, encoding="utf-8", newline="\n")
        print(f"wrote {output}")
    else:
        print(f"{output} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
