#!/bin/sh
# golden_test.sh: what a learner reads, as text.  Grades the committed stub
# of KATA (every test fails or is skipped) and its reference solution (all
# pass) in plain ASCII (NO_COLOR, piped) with --quick, and compares the
# output with tests/golden/KATA-stub.txt and KATA-solution.txt after
# normalising what changes from run to run: test times, the figures in
# notes, seeds and temporary paths.  The stub is taken from git's HEAD into
# a scratch tree (KATA_ROOT), so a learner's own edits never matter.
# Usage: golden_test.sh RUNNER SOURCE_ROOT [--update].  Ends with
# `N passed, M failed`; exit 77 (skipped) without git.
set -u
runner=$1
src=$2
update=${3:-}
kata=async_fetch
golden="$src/tests/golden"
tmp=$(mktemp -d /tmp/kata-golden-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

mkdir -p "$tmp/root"
if ! git -C "$src" archive HEAD "katas/$kata" 2>/dev/null |
    tar -x -C "$tmp/root" 2>/dev/null; then
	echo "skip: git's HEAD has no katas/$kata (or there is no git)"
	exit 77
fi
ln -s "$src/include" "$tmp/root/include"
ln -s "$src/fixtures" "$tmp/root/fixtures"

normalise() {
	sed -E -e 's/[0-9]+\.[0-9]+s$/N.NNs/' \
	    -e '/note:/s/[0-9]+(\.[0-9]+)?/N/g' \
	    -e 's/--seed [0-9]+/--seed N/' \
	    -e 's#/tmp/kata-[A-Za-z0-9]+#/tmp/kata-X#g'
}

# golden NAME ARGS...: runs `runner check KATA ARGS`, compares with NAME.
golden() {
	name=$1
	shift
	NO_COLOR=1 KATA_ROOT="$tmp/root" "$runner" check "$kata" --quick \
	    --no-progress "$@" >"$tmp/raw" 2>&1
	echo "exit status: $?" >>"$tmp/raw"
	normalise <"$tmp/raw" >"$tmp/$name"
	if [ "$update" = --update ]; then
		cp "$tmp/$name" "$golden/$name"
		echo "updated tests/golden/$name"
	elif diff -u "$golden/$name" "$tmp/$name" >"$tmp/diff"; then
		echo "ok   $name: the output is as recorded"
		pass=$((pass + 1))
	else
		echo "FAIL $name: the output differs from tests/golden/$name" \
		     "(-recorded +now; if the change is right: $0 $runner" \
		     "$src --update)"
		sed 's/^/     | /' "$tmp/diff"
		fail=$((fail + 1))
	fi
}

golden "$kata-stub.txt"
golden "$kata-solution.txt" --solution

# Every failing test of the stub says what was expected and what happened
# (or why it did not run), and the kata says where to look.
said='expected|got|returned|not run|crashed|no result'
if grep -q "where to look: katas/$kata/$kata.c" "$tmp/$kata-stub.txt" &&
   awk -v said="$said" '/^  FAIL /{ getline; getline; if ($0 !~ said) bad=1 }
	END { exit bad }' "$tmp/$kata-stub.txt"; then
	echo "ok   the stub's failures say expected / got / where to look"
	pass=$((pass + 1))
else
	echo "FAIL the stub's failures say expected / got / where to look"
	fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
