#!/bin/sh
# tests/fresh-root.sh: the fresh-machine check (issue 11).  A manual or
# optional CI check, not part of `runner selftest`; it needs root.
#
#   sudo tests/fresh-root.sh REPO ROOT
#
# REPO is a git repository (its checked-out branch is cloned, so only
# committed work is tested); ROOT is a minimal Debian 12 root that has only
# gcc, libc6-dev, git and ca-certificates and working apt sources, e.g.
#   debootstrap --variant=minbase bookworm ROOT http://deb.debian.org/debian
#   (copy in the host's /etc/apt/sources.list.d/debian.sources and
#   /etc/resolv.conf, mount /proc, then)
#   chroot ROOT apt-get update && chroot ROOT apt-get install -y \
#       --no-install-recommends gcc libc6-dev git ca-certificates
# Keep a tarball of it (tar -cpf BASE.tar -C ROOT .): every run installs
# the project's packages into ROOT, so a later run starts from a new copy:
#   rm -rf ROOT && mkdir ROOT && tar -xpf BASE.tar -C ROOT &&
#   sudo tests/fresh-root.sh . ROOT
# The script clones REPO into ROOT/root/project (replacing an old clone),
# mounts /proc, /sys, /dev, /dev/pts, a fresh /dev/shm and a fresh /tmp in
# ROOT, and runs there, as root with a login's bare environment (no LANG
# unless FRESH_LANG is set, e.g. FRESH_LANG=C.UTF-8; no tty):
#   cd /root/project && ./runner check --all --solution; ./runner selftest
# It prints the last line of each, keeps the whole output in
# ROOT/root/fresh-check.log and ROOT/root/fresh-selftest.log, unmounts all
# it mounted on every way out, and exits 0 only when the check exits 0 and
# the selftest ends "N passed, 0 failed".  FRESH_TIMEOUT (seconds, default
# 5400) bounds each of the two runs.
set -u

say() { printf 'fresh-root: %s\n' "$*" >&2; }

if [ $# -ne 2 ]; then
	echo "usage: $0 REPO ROOT" >&2
	exit 2
fi
repo=$1
root=$(cd "$2" 2>/dev/null && pwd) || { say "no such directory: $2"; exit 2; }
timeout=${FRESH_TIMEOUT:-5400}

[ "$(id -u)" = 0 ] || { say "must run as root (chroot, mount)"; exit 2; }
[ "$root" != / ] && [ -x "$root/bin/sh" ] && [ -f "$root/etc/debian_version" ] ||
	{ say "$root does not look like a Debian root"; exit 2; }
git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 ||
	{ say "not a git repository: $repo"; exit 2; }
if mount | grep -q " $root/"; then
	say "something is already mounted under $root:"
	mount | grep " $root/" >&2
	exit 2
fi

mounted=""	# mount points, the newest first
child=""	# the timeout(1) running in the chroot, while one runs
cleanup() {
	trap - EXIT HUP INT TERM
	if [ -n "$child" ]; then	# interrupted: stop the run first
		kill -TERM "$child" 2>/dev/null
		wait "$child" 2>/dev/null
		child=""
	fi
	for m in $mounted; do
		umount "$m" 2>/dev/null || umount -l "$m" ||
		    say "could not unmount $m"
	done
	mounted=""
	if mount | grep -q " $root/"; then
		say "still mounted under $root:"
		mount | grep " $root/" >&2
	fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' HUP INT TERM

mnt() {	# mnt MOUNTPOINT mount-arguments...
	m=$root$1; shift
	mount "$@" "$m" || { say "mount $* $m failed"; exit 2; }
	mounted="$m $mounted"
}

rm -rf "$root/root/project"
if ! git clone -q --no-hardlinks "$repo" "$root/root/project"; then
	say "git clone $repo failed"
	exit 2
fi
say "cloned $(git -C "$root/root/project" log -1 --format='%h %s')"
say "$root/root is mode $(stat -c %a "$root/root")"

mnt /proc -t proc proc
mnt /sys -t sysfs sysfs
mnt /dev --bind /dev
mnt /dev/pts --bind /dev/pts
mnt /dev/shm -t tmpfs -o mode=1777 tmpfs
mnt /tmp -t tmpfs -o mode=1777 tmpfs

# In the chroot: root's bare login environment, no terminal.  In the
# background, so that a signal runs the trap at once (a shell runs traps
# only after its foreground command), and timeout(1) kills the whole run.
in_root() {
	timeout -k 30 "$timeout" chroot "$root" /usr/bin/env -i \
	    HOME=/root USER=root LOGNAME=root SHELL=/bin/sh \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    ${FRESH_LANG:+LANG=$FRESH_LANG} \
	    /bin/sh -c "cd /root/project && $1" </dev/null &
	child=$!
	wait "$child"
	st=$?
	child=""
	return $st
}

say "running ./runner check --all --solution (log: $root/root/fresh-check.log)"
in_root './runner check --all --solution' >"$root/root/fresh-check.log" 2>&1
check=$?
say "running ./runner selftest (log: $root/root/fresh-selftest.log)"
in_root './runner selftest' >"$root/root/fresh-selftest.log" 2>&1
selftest=$?

echo "check (exit $check): $(tail -n 1 "$root/root/fresh-check.log")"
echo "selftest (exit $selftest): $(tail -n 1 "$root/root/fresh-selftest.log")"
if [ "$check" = 0 ] && [ "$selftest" = 0 ] &&
    tail -n 1 "$root/root/fresh-selftest.log" | grep -q '^[0-9]* passed, 0 failed'
then
	exit 0
fi
exit 1
