"""json_validate.py SCHEMA FILE...: every line of each FILE is one JSON
object valid against SCHEMA (JSON Lines, as `runner --format json` writes
it), the bytes are valid UTF-8, and the last line is the summary.
json_validate.py --gradescope SCHEMA FILE...: each FILE is one results.json
valid against SCHEMA whose score is the sum of its tests' scores, each
passed test scoring its max_score and each failed one 0.  Prints one line
per file; exits 1 on the first problem."""
import json
import sys

import jsonschema


def gradescope(validator, path):
    doc = json.loads(open(path, "rb").read().decode("utf-8"))
    errors = sorted(validator.iter_errors(doc), key=str)
    if errors:
        sys.exit(f"{path}: {errors[0].message}")
    for t in doc["tests"]:
        want = t["max_score"] if t["status"] == "passed" else 0
        if t["score"] != want:
            sys.exit(f"{path}: {t['name']} scores {t['score']}, not {want}")
    if doc["score"] != sum(t["score"] for t in doc["tests"]):
        sys.exit(f"{path}: score {doc['score']} is not the tests' sum")
    print(f"valid: {path} ({len(doc['tests'])} tests, {doc['score']} points)")


whole = sys.argv[1] == "--gradescope"
args = sys.argv[2:] if whole else sys.argv[1:]
schema = json.load(open(args[0]))
validator = jsonschema.Draft202012Validator(schema)
for path in args[1:]:
    if whole:
        gradescope(validator, path)
        continue
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
