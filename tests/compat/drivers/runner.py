"""The command line every Python driver shares (the contract in ../README.md)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable, Iterable


def main(doc: str, names: Iterable[str], run: Callable[[str, str, str], dict[str, Any]],
         default_prefix: str) -> int:
    """--list, or each named scenario (all by default) as one JSON line."""
    names = list(names)
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--bootstrap")
    ap.add_argument("--prefix", default=default_prefix)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("scenarios", nargs="*")
    args = ap.parse_args()
    if args.list:
        print("\n".join(names))
        return 0
    if not args.bootstrap:
        ap.error("--bootstrap is required")
    for name in args.scenarios or names:
        if name not in names:
            ap.error(f"unknown scenario {name}")
        print(json.dumps(run(name, args.bootstrap, args.prefix), sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit("runner.py is a module for the drivers")
