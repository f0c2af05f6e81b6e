#!/bin/sh
# boundary_test.sh RUNNER BOUNDARY_DIR: the runner-plugin boundary.
# 1. The runner's dynamic symbol table defines nothing of its own (only
#    libc's copy-relocated data, which carry a version: stderr@GLIBC_2.2.5).
# 2. A kata defining a global named like every runner internal and grader
#    helper (tests/boundary/gen.sh) passes: each call reaches its own.
# Ends with `N passed, M failed`.
set -u
runner=$1
dir=$2
pass=0
fail=0

own=$(nm -D --defined-only "$runner" | awk '$3 !~ /@/ { print $3 }')
if [ -z "$own" ]; then
	echo "ok   the runner exports no symbol of its own"
	pass=$((pass + 1))
else
	echo "FAIL the runner exports its internals:" $own
	fail=$((fail + 1))
fi

out=$(KATA_BUILD_DIR="$dir" "$runner" check boundary --no-progress \
	--so "$dir/boundary.so" 2>&1)
if [ $? -eq 0 ] && printf '%s\n' "$out" | grep -q "^1 passed, 0 failed"
then
	echo "ok   a kata's helpers named like runner internals are its own"
	printf '%s\n' "$out" | grep "note:"
	pass=$((pass + 1))
else
	echo "FAIL a kata's helpers were replaced:"
	printf '%s\n' "$out" | sed 's/^/     | /'
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
