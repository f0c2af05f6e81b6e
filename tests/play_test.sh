#!/bin/sh
# play_test.sh: `runner play` end to end over loopback: the reference
# udp_chat relay as a server (port 0: the kernel picks a free one, which
# the server prints), two clients fed by pipes, bob receiving alice's
# message and alice the member list; then SIGTERM stops the server through
# its stop descriptor, cleanly; likewise the ftp_transfer server with a
# put, a listing, a get and a delete.  Every step is bounded by `timeout`.
# Usage: play_test.sh RUNNER.  Ends with `N passed, M failed`; exit 77
# (skipped) when udp_chat has no play modes in this build.
set -u
runner=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d /tmp/kata-play-test-XXXXXX)
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0
fail=0

ok() {
	if [ "$1" = 0 ]; then
		echo "ok   $2"
		pass=$((pass + 1))
	else
		echo "FAIL $2"
		shift 2
		for f in "$@"; do sed "s#^#     | $(basename "$f"): #" "$f"; done
		fail=$((fail + 1))
	fi
}

if ! "$runner" play udp_chat --help 2>/dev/null | grep -q server; then
	echo "skip: udp_chat has no play modes in this build"
	exit 77
fi

timeout 20 "$runner" play udp_chat server --solution >"$tmp/server" 2>&1 &
server=$!
port=
for i in $(seq 50); do
	port=$(sed -n 's/.* port \([0-9][0-9]*\);.*/\1/p' "$tmp/server")
	[ -n "$port" ] && break
	sleep 0.1
done
grep -q "relay on 127.0.0.1 port" "$tmp/server"
ok $? "the server listens on 127.0.0.1 and says on which port" "$tmp/server"

client() {
	timeout 10 "$runner" play udp_chat client 127.0.0.1 "$port" \
	    --solution >"$tmp/$1" 2>&1
}
{ printf 'JOIN bob\n'; sleep 1.5; } | client bob &
bob=$!
sleep 0.4
{ printf 'JOIN alice\nMSG hello bob\nWHO\n'; sleep 0.6; } | client alice
wait "$bob"
grep -q "^alice: hello bob$" "$tmp/bob"
ok $? "bob's client shows alice's message" "$tmp/bob" "$tmp/alice"
grep -q "^MEMBERS .*bob" "$tmp/alice" && grep -q "^MEMBERS .*alice" \
    "$tmp/alice"
ok $? "alice's WHO lists both" "$tmp/alice"

kill -TERM "$server"
wait "$server"
st=$?
server=
[ "$st" = 0 ] && grep -q "chat_serve returned 0" "$tmp/server"
ok $? "SIGTERM stops the server through its stop descriptor (exit $st)" \
    "$tmp/server"

# ftp_transfer: put, ls, get and rm against the reference server.
if "$runner" play ftp_transfer --help 2>/dev/null | grep -q server; then
	mkdir -p "$tmp/share" "$tmp/here"
	printf 'hello, ftp\n' >"$tmp/here/up.txt"
	timeout 20 "$runner" play ftp_transfer server --root "$tmp/share" \
	    --solution >"$tmp/ftpd" 2>&1 &
	server=$!
	port=
	for i in $(seq 50); do
		port=$(sed -n 's/.* port \([0-9][0-9]*\);.*/\1/p' "$tmp/ftpd")
		[ -n "$port" ] && break
		sleep 0.1
	done
	ftp() {
		(cd "$tmp/here" && timeout 10 "$runner" play ftp_transfer \
		    client 127.0.0.1 "$port" "$@" --solution) >>"$tmp/ftp" 2>&1
	}
	ftp put up.txt && rm "$tmp/here/up.txt" && ftp ls &&
	    ftp get up.txt && cmp -s "$tmp/here/up.txt" "$tmp/share/up.txt" &&
	    ftp rm up.txt && [ ! -e "$tmp/share/up.txt" ]
	ok $? "ftp_transfer: put, ls, get and rm through the server" \
	    "$tmp/ftp" "$tmp/ftpd"
	kill -TERM "$server"
	wait "$server"
	st=$?
	server=
	[ "$st" = 0 ] && grep -q "ftp_serve returned 0" "$tmp/ftpd"
	ok $? "SIGTERM stops the ftp server cleanly (exit $st)" "$tmp/ftpd"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
