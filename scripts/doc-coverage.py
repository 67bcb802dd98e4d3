#!/usr/bin/env python3
"""Fails when a public symbol of the named modules has no documentation.

Reads the documentation-coverage.json that DocC writes into each module's
archive (scripts/docs.sh builds them with --experimental-documentation-coverage)
and lists every symbol without an abstract, that is without a `///` comment
(or a documentation extension in the module's catalog).

Not counted: articles, the pages DocC makes itself ("Equatable
Implementations" and the like), and `init(rawValue:)`, which the compiler writes for an enum with raw
values and so no comment can document.

Usage: doc-coverage.py ARCHIVES_FOLDER MODULE...
"""
import json
import os
import sys


def undocumented(archive):
    with open(os.path.join(archive, "documentation-coverage.json")) as f:
        symbols = json.load(f)
    counted, missing = 0, []
    for symbol in symbols:
        path = symbol["referencePath"].split("/documentation/", 1)[-1]
        if not symbol["kind"].get("isSymbol", False):
            continue  # an article, or a page DocC made itself
        if symbol["kind"]["name"] == "CollectionGroup" or path.endswith("/init(rawValue:)"):
            continue
        counted += 1
        if not symbol["hasAbstract"]:
            missing.append(f"{symbol['kind']['name']}: {path}")
    return counted, sorted(missing)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    folder, modules = sys.argv[1], sys.argv[2:]
    failed = False
    for module in modules:
        total, missing = undocumented(os.path.join(folder, f"{module}.doccarchive"))
        print(f"{module}: {total - len(missing)} of {total} pages documented")
        for line in missing:
            print(f"  undocumented {line}")
        failed = failed or bool(missing)
    if failed:
        sys.exit("every public symbol needs a /// comment")


if __name__ == "__main__":
    main()
