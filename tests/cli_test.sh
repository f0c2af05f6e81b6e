#!/bin/sh
# cli_test.sh: the runner's answers to bad input, end to end.  Each case
# runs the runner, then checks its exit status and one sentence of what it
# said.  Usage: cli_test.sh RUNNER TESTS_BUILD_DIR.  Ends with
# `N passed, M failed`.
set -u
runner=$1
tests=$2
tmp=$(mktemp -d /tmp/kata-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# expect STATUS TEXT DESCRIPTION -- COMMAND...
expect() {
	want=$1 text=$2 what=$3
	shift 4
	"$@" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" = "$want" ] && grep -qF -- "$text" "$tmp/out"; then
		echo "ok   $what"
		pass=$((pass + 1))
	else
		echo "FAIL $what: expected exit $want and \"$text\", got" \
		     "exit $got:"
		sed 's/^/     | /' "$tmp/out" | head -n 20
		fail=$((fail + 1))
	fi
}

sandbox() { KATA_BUILD_DIR="$tests" "$runner" "$@"; }
only() { dir=$1; shift; KATA_BUILD_DIR="$dir" "$runner" "$@"; }

expect 2 "unknown command 'frobnicate'" "unknown command" -- \
	"$runner" frobnicate
expect 2 "unrecognized option" "unknown option" -- \
	"$runner" check --frobnicate sandbox
expect 2 "no kata named 'nosuch'" "unknown kata" -- sandbox check nosuch
expect 2 "did you mean 'sandbox'?" "did you mean" -- sandbox check sandbx
expect 2 "name a kata, or --all" "no kata named" -- sandbox check
expect 2 "--timeout-scale wants a number" "bad scale" -- \
	sandbox check --timeout-scale zero sandbox
expect 2 "-j wants a count" "bad -j" -- sandbox check -j 0 sandbox

mkdir -p "$tmp/corrupt" "$tmp/abi" "$tmp/foreign" "$tmp/none" "$tmp/v1"
printf 'not an ELF file\n' >"$tmp/corrupt/grader-broken.so"
cp "$tests/grader-oldabi.so" "$tmp/abi/"
cp "$tests/grader-v1.so" "$tmp/v1/"
cp "$tests/grader-sandbox.so" "$tmp/foreign/grader-other.so"
expect 2 "is not a loadable grader" "corrupt grader" -- \
	only "$tmp/corrupt" list
expect 2 "built for kata ABI 99" "grader with a wrong ABI" -- \
	only "$tmp/abi" list
expect 2 "built for kata ABI 1 and this runner speaks 2" \
	"a grader of ABI 1 (kata_* imported from the runner)" -- \
	only "$tmp/v1" list
expect 2 "--param n wants a whole number, not 'many'" "bad --param" -- \
	sandbox check sandbox --param n=many
for bad in nan inf 1e400 -1; do
	expect 2 "--timeout-scale wants a number from 0.01 to 1000" \
		"--timeout-scale $bad" -- \
		sandbox check sandbox --timeout-scale "$bad"
done
expect 2 "--seed wants a whole number" "--seed abc" -- \
	sandbox check sandbox --seed abc
expect 2 "there is no test named 'nosuch' in sandbox" "--test nosuch" -- \
	sandbox check sandbox --test nosuch --so "$tests/cases.so"
expect 2 "--param nosuch: no test that ran asks for it" \
	"a --param no test asks for" -- \
	sandbox check sandbox --so "$tests/cases.so" --test orphan \
	--param nosuch=3 --no-progress
expect 2 'it grades "sandbox", not "other"' "foreign grader" -- \
	only "$tmp/foreign" check other
expect 2 "no kata named" "no graders at all" -- only "$tmp/none" check x

printf 'garbage' >"$tmp/garbage.so"
expect 2 "refusing $tmp/garbage.so" "corrupt kata .so" -- \
	sandbox check sandbox --so "$tmp/garbage.so"
expect 2 "built for kata ABI 99" "kata .so with a wrong ABI" -- \
	sandbox check sandbox --so "$tests/oldabi.so"
expect 2 "says it is the kata \"other\", not \"sandbox\"" \
	"kata .so of another kata" -- \
	sandbox check sandbox --so "$tests/other.so"
expect 2 "built for kata ABI" "a bad grader fails the commands that "\
"need it" -- sandbox check --all

expect 1 "2 passed, 9 failed, 1 skipped" "failing tests: exit 1" -- \
	sandbox check sandbox --so "$tests/cases.so" --no-progress
expect 0 "1 passed, 0 failed" "one passing test: exit 0" -- \
	sandbox check sandbox --so "$tests/cases.so" --test orphan \
	--no-progress
expect 1 "not ok 1 - sandbox/expect" "TAP output" -- \
	sandbox check sandbox --so "$tests/cases.so" --test expect \
	--format tap --no-progress
expect 1 '"outcome":"fail"' "JSON output" -- \
	sandbox check sandbox --so "$tests/cases.so" --test expect \
	--format json --no-progress
expect 0 "usage: runner" "help" -- "$runner" help

# Ctrl-C during a test: the test's process and temp directory go too.
interrupted() {
	KATA_BUILD_DIR="$tests" "$runner" check sandbox --so \
		"$tests/cases.so" --test spin --no-progress --timeout-scale 20 \
		>/dev/null 2>&1 &
	rpid=$! cpid="" dir=""
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		for cpid in $(cat /proc/$rpid/task/$rpid/children 2>/dev/null)
		do
			dir=$(readlink "/proc/$cpid/cwd")
			case "$dir" in /tmp/kata-*) break 2 ;; esac
		done
		cpid="" dir=""
		sleep 0.1
	done
	kill -INT $rpid
	wait $rpid
	st=$?
	sleep 0.2
	echo "status $st; dir $dir"
	if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
		echo "the test process $cpid is still there"
	elif [ -z "$dir" ] || [ -e "$dir" ]; then
		echo "its temp directory '$dir' is still there"
	else
		echo "nothing left"
	fi
}
expect 0 "status 130; dir /tmp/kata-" "Ctrl-C: dies of SIGINT" -- interrupted
expect 0 "nothing left" "Ctrl-C: no test process or temp dir left" -- \
	interrupted

# The real katas: two at once, and the figures of one.
expect 0 "passed, 0 failed" "-j 2 grades two katas at once" -- \
	"$runner" check coroutine framing -j 2 --solution --quick --no-progress
expect 0 "bare fork + dlopen + exit + waitpid" \
	"bench --runner: one test's cost beside the bare loop" -- \
	"$runner" bench --runner coroutine --param rounds=20
expect 0 "reference  co_send + co_yield round trip" "bench shows figures" \
	-- "$runner" bench coroutine --quick

# runner new: a skeleton that builds, passes its solution, fails its stub.
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$tmp/new/b"
printf "project('x', 'c')\n\nkatas = {\n  'framing': {},\n}\n" \
	>"$tmp/new/meson.build"
newkata() { KATA_ROOT="$tmp/new" KATA_BUILD_DIR="$tmp/new/b" "$runner" "$@"; }
expect 0 "Added demo to meson.build" "new writes a skeleton" -- newkata new demo
expect 2 "there is a kata folder already" "new refuses an existing kata" \
	-- newkata new demo
expect 2 "lowercase letters" "new refuses a bad name" -- newkata new 9x
expect 0 "'demo': {}," "new adds the kata to meson.build" -- \
	cat "$tmp/new/meson.build"
for part in graders/demo.c:b/grader-demo.so solutions/demo/demo.c:sol.so \
	    katas/demo/demo.c:stub.so; do
	cc -std=gnu17 -Wall -Wextra -Werror -shared -fPIC -I"$src/include" \
	    -I"$tmp/new/katas/demo" "$tmp/new/${part%%:*}" \
	    -o "$tmp/new/${part##*:}" 2>>"$tmp/new/cc.log"
done
expect 0 "1 passed, 0 failed" "the skeleton passes its solution" -- \
	newkata check demo --so "$tmp/new/sol.so" --no-progress
expect 1 "0 passed, 1 failed" "the skeleton fails its stub" -- \
	newkata check demo --so "$tmp/new/stub.so" --no-progress

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
