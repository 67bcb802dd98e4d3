"""Validates JSON messages, one a line on stdin, against a JSON Schema.

Usage: validate_replies.py SCHEMA_FILE < messages.jsonl
Prints one line per message, "ok" or "invalid: <reasons>"; exits 0 when all
are valid, 1 otherwise. The other schemas of SCHEMA_FILE's folder can be
named by `$ref` (by their file name).
"""
import json
import os
import sys

import jsonschema
from referencing import Registry, Resource


def _no_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError("duplicate keys in a schema: " + ", ".join(duplicates))
    return dict(pairs)


def main():
    folder = os.path.dirname(os.path.abspath(sys.argv[1]))
    resources = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".schema.json"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                contents = json.load(f, object_pairs_hook=_no_duplicate_keys)
            jsonschema.validators.validator_for(contents).check_schema(contents)
            resources.append((name, Resource.from_contents(contents)))
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, registry=Registry().with_resources(resources))
    failed = False
    for line in sys.stdin:
        if not line.strip():
            continue
        errors = sorted(validator.iter_errors(json.loads(line)), key=lambda e: list(e.path))
        if errors:
            failed = True
            print("invalid: " + "; ".join("%s: %s" % ("/".join(map(str, e.path)), e.message) for e in errors))
        else:
            print("ok")
    sys.exit(1 if failed else 0)


main()
