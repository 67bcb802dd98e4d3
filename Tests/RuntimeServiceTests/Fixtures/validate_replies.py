"""Validates JSON messages, one a line on stdin, against a JSON Schema.

Usage: validate_replies.py SCHEMA_FILE < messages.jsonl
Prints one line per message, "ok" or "invalid: <reasons>"; exits 0 when all
are valid, 1 otherwise.
"""
import json
import sys

import jsonschema


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
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
