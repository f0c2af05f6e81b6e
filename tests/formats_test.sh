#!/bin/sh
# formats_test.sh RUNNER TESTS_BUILD_DIR SOURCE_ROOT: the machine formats
# checked by their real consumers.  JSON Lines against docs/json-schema.json
# (python3-jsonschema, tests/json_validate.py), TAP with perl's prove,
# JUnit XML with xmllint against tests/junit.xsd, Gradescope's results.json
# against tests/gradescope-schema.json (written with -o), on runs that
# pass, fail, skip, crash, time out, do not build, and print bytes that
# are not UTF-8.  Ends with `N passed, M failed`.
set -u
runner=$1 tests=$2 srcroot=$3
learner="$srcroot/tests/learner"
tmp=$(mktemp -d /tmp/kata-formats-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
cp -r "$learner/katas" "$tmp/" && ln -s "$srcroot/include" "$tmp/include"
unset KATA_PROGRESS_DB
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3

ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() {
	echo "FAIL $1"
	sed 's/^/     | /' "$2" | head -n 30
	fail=$((fail + 1))
}

# run NAME ARGS...: the learner katas (or the sandbox's) as JSON and TAP.
run() {
	name=$1
	shift
	"$@" --no-progress --format json >"$tmp/$name.json" 2>"$tmp/err"
	"$@" --no-progress --format tap >"$tmp/$name.tap" 2>>"$tmp/err"
	if $py "$srcroot/tests/json_validate.py" \
	    "$srcroot/docs/json-schema.json" "$tmp/$name.json" \
	    >"$tmp/v" 2>&1; then
		ok "JSON: $name"
	else
		cat "$tmp/$name.json" >>"$tmp/v"
		bad "JSON: $name" "$tmp/v"
	fi
	junit "$name" "$@"
	gradescope "$name" "$@"
	prove -e cat "$tmp/$name.tap" >"$tmp/p" 2>&1
	if grep -q "^Files=1, Tests=[1-9]" "$tmp/p" &&
	   ! grep -q "Parse errors\|No plan\|TODO passed" "$tmp/p"; then
		ok "TAP: $name"
	else
		cat "$tmp/$name.tap" >>"$tmp/p"
		bad "TAP: $name" "$tmp/p"
	fi
}

junit() {
	name=$1
	shift
	"$@" --no-progress --format junit -o "$tmp/$name.xml" 2>"$tmp/err"
	if xmllint --noout --schema "$srcroot/tests/junit.xsd" \
	    "$tmp/$name.xml" >"$tmp/x" 2>&1; then
		ok "JUnit: $name"
	else
		cat "$tmp/$name.xml" >>"$tmp/x" 2>/dev/null
		bad "JUnit: $name" "$tmp/x"
	fi
}

gradescope() {
	name=$1
	shift
	"$@" --no-progress --format gradescope -o "$tmp/$name.gs.json" \
		2>"$tmp/err"
	if $py "$srcroot/tests/json_validate.py" --gradescope \
	    "$srcroot/tests/gradescope-schema.json" "$tmp/$name.gs.json" \
	    >"$tmp/g" 2>&1 && [ ! -e "$tmp/$name.gs.json.part" ]; then
		ok "Gradescope: $name"
	else
		cat "$tmp/$name.gs.json" >>"$tmp/g" 2>/dev/null
		bad "Gradescope: $name" "$tmp/g"
	fi
}

# has NAME TEXT: the JSON of run NAME holds TEXT.
has() {
	if grep -qF -- "$2" "$tmp/$1.json"; then
		ok "$1 says $2"
	else
		bad "$1 should say $2" "$tmp/$1.json"
	fi
}

learner() { KATA_ROOT="$tmp" KATA_BUILD_DIR="$tests/learner" "$runner" "$@"; }

if ! $py -c 'import jsonschema' 2>/dev/null; then
	echo "FAIL python3-jsonschema is missing (./runner selftest installs it)"
	echo "0 passed, 1 failed"
	exit 1
fi
run stub learner check hello second
has stub '"outcome":"skip"'
has stub '"why":"a function hands its result back'
cp "$learner/hello_fixed.c" "$tmp/katas/hello/hello.c"
run passing learner check hello
has passing '"outcome":"pass"'
if grep -q '"score":2,' "$tmp/passing.gs.json"; then
	ok "Gradescope: both tests of the passing kata score their points"
else
	bad "Gradescope: the passing kata should score 2" "$tmp/passing.gs.json"
fi
printf 'int broken(void) { return }\n' >>"$tmp/katas/hello/hello.c"
run unbuilt learner check hello second
has unbuilt 'hello.c:23:27: error: expected expression'
if grep -q "^# not run: katas/hello/hello.c does not build: .*hello.c:23:27" \
    "$tmp/unbuilt.tap"; then
	ok "TAP carries the compiler's first error"
else
	bad "TAP should carry the compiler's first error" "$tmp/unbuilt.tap"
fi
cat >"$tmp/katas/hello/hello.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include "kata/plugin.h"
#include "hello.h"
KATA_PLUGIN("hello");
int hello_answer(void) { printf("bad \377\376 bytes \300\257\n"); return -EIO; }
int hello_shout(char *s) { (void)s; return -ENOSYS; }
C
run not_utf8 learner check hello
has not_utf8 'bad \ufffd\ufffd bytes \ufffd\ufffd'
run sandbox env KATA_BUILD_DIR="$tests" "$runner" check sandbox \
	--so "$tests/cases.so" -j 2
has sandbox '"outcome":"crash"'
has sandbox '"outcome":"timeout"'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
