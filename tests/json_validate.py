"""json_validate.py SCHEMA FILE...: every line of each FILE is one JSON
object valid against SCHEMA (JSON Lines, as `runner --format json` writes
it), the bytes are valid UTF-8, and the last line is the summary.  Prints
one line per file; exits 1 on the first problem."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema)
for path in sys.argv[2:]:
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        sys.exit(f"{path}: not valid UTF-8: {e}")
    lines = [l for l in text.split("\n") if l]
    if not lines:
        sys.exit(f"{path}: no JSON at all")
    for n, line in enumerate(lines, 1):
        try:
            obj = json.loads(line)
        except ValueError as e:
            sys.exit(f"{path}:{n}: not JSON: {e}: {line[:200]}")
        errors = sorted(validator.iter_errors(obj), key=str)
        if errors:
            sys.exit(f"{path}:{n}: {errors[0].message} in {line[:200]}")
    if not json.loads(lines[-1]).get("summary"):
        sys.exit(f"{path}: the last line is not the summary")
    print(f"valid: {path} ({len(lines)} objects)")
