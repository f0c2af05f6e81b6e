#!/bin/sh
# load_test.sh RUNNER GRADERS_DIR LEARNER_SRC INCLUDE_DIR: hostile and
# broken katas at load.  On a scratch copy of the learner tests' two katas
# (tests/learner/katas), hello.c gets a constructor that forks a daemon
# (setsid, SIGTERM ignored, pause), calls exit(3), abort()s, blocks, or
# the file calls a function that does not exist.  Each time `runner check
# hello second` must return (rc 3, like a build error), name what
# happened, still grade second, keep TAP and JSON whole, and leave nothing
# running.  Ends with `N passed, M failed`.
set -u
runner=$1 graders=$2 src=$3 inc=$4
tmp=$(mktemp -d /tmp/kata-load-XXXXXX)
# The hostile processes' name is this run's own, so that two suites at
# once never see (or kill) each other's.
name="kh-$$"
trap 'pkill -KILL -x "$name" 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
cp -r "$src/katas" "$tmp/" && ln -s "$inc" "$tmp/include"
export KATA_ROOT="$tmp" KATA_BUILD_DIR="$graders" NO_COLOR=1
unset KATA_PROGRESS_DB

ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() {
	echo "FAIL $1"
	sed 's/^/     | /' "$tmp/out" | head -n 25
	fail=$((fail + 1))
}

# hostile NAME BODY: hello.c with a constructor running BODY.
hostile() {
	cat "$src/katas/hello/hello.c" >"$tmp/katas/hello/hello.c"
	cat >>"$tmp/katas/hello/hello.c" <<C
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>
void hello_undefined_helper(void);
__attribute__((constructor)) static void at_load(void)
{
	$2;
}
C
}

# expect WHAT TEXT [FORMAT]: check hello second; rc 3, TEXT said, second
# graded, nothing left.
expect() {
	what=$1 text=$2 fmt=${3:-human}
	timeout 60 "$runner" check hello second --no-progress \
		--format "$fmt" >"$tmp/out" 2>&1
	rc=$?
	sleep 0.2
	left=$(pgrep -x $name)
	if [ $rc -ne 3 ]; then
		bad "$what: expected exit 3 (a kata that cannot load), got $rc"
	elif ! grep -qF -- "$text" "$tmp/out"; then
		bad "$what: expected \"$text\" in the output"
	elif [ -n "$left" ]; then
		bad "$what: processes left running: $left"
	elif [ "$fmt" = human ] && ! grep -q "^second:" "$tmp/out"; then
		bad "$what: the other kata was not graded"
	else
		ok "$what"
	fi
}

daemon='if (fork() == 0) { setsid(); signal(SIGTERM, SIG_IGN);
	prctl(PR_SET_NAME, "'"$name"'"); for (;;) pause(); }'
hostile daemon "$daemon"
timeout 60 "$runner" check hello --test answer --no-progress \
	>"$tmp/out" 2>&1
rc=$?
sleep 0.2
if [ $rc -eq 124 ]; then
	bad "a constructor's daemon: the runner hung"
elif [ -n "$(pgrep -x $name)" ]; then
	bad "a constructor's daemon outlived the check"
else
	ok "a constructor that forks a daemon: the check returns, no daemon"
fi

hostile exit 'exit(3)'
expect "exit(3) at load" "loading it ended the process with exit(3)"
expect "exit(3) at load, TAP" "not run: katas/hello/hello.c builds \
but cannot be loaded: loading it ended" tap
expect "exit(3) at load, JSON" '"outcome":"fail"' json
hostile abort 'abort()'
expect "abort() at load" "loading it killed the process with SIGABRT"
hostile block 'prctl(PR_SET_NAME, "'"$name"'"); pause()'
"$runner" check hello second --no-progress --timeout-scale 0.2 \
	>"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 3 ] && grep -q "did not finish within 1.0 s" "$tmp/out" &&
   [ -z "$(pgrep -x $name)" ]; then
	ok "a constructor that blocks: named, killed"
else
	bad "a constructor that blocks (rc $rc)"
fi
hostile undefined 'if (getenv("NO_SUCH_VAR_EVER")) hello_undefined_helper()'
expect "an undefined function" "undefined symbol: hello_undefined_helper"

hostile exit 'exit(3)'
"$runner" check hello second --no-progress --format tap >"$tmp/tap" 2>&1
prove -e cat "$tmp/tap" >"$tmp/out" 2>&1
if grep -q "^1\.\.3" "$tmp/tap" && grep -q "Failed 3/3" "$tmp/out" &&
   ! grep -q "Parse errors\|No plan" "$tmp/out"; then
	ok "TAP of a kata that cannot load: prove reads a plan and 3 failures"
else
	cat "$tmp/tap" >>"$tmp/out"
	bad "TAP of a kata that cannot load"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
