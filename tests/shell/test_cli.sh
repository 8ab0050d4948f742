#!/usr/bin/env bash
# CLI contract: --help, the man page in step with the option tables, exit codes that
# scripts rely on, clear errors for bad inputs.
set -u
bin=${SIPDX_BIN:-./sipdx}
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
expect_rc() { # expect_rc WANT DESCRIPTION CMD...
    local want=$1 what=$2; shift 2
    "$@" >/dev/null 2>&1; local rc=$?
    [ "$rc" -eq "$want" ] && ok || bad "$what: exit $rc, want $want"
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

expect_rc 0 "--help" "$bin" --help
expect_rc 2 "no command" "$bin"
expect_rc 2 "unknown command" "$bin" frobnicate
expect_rc 2 "unknown option" "$bin" decode --nope x.pcap
expect_rc 2 "no input" "$bin" decode
expect_rc 3 "missing file" "$bin" decode "$tmp/does-not-exist.pcap"
echo "this is not a capture" >"$tmp/text.pcap"
expect_rc 3 "not a capture" "$bin" decode "$tmp/text.pcap"
"$bin" decode "$tmp/text.pcap" 2>"$tmp/err" >/dev/null
grep -q "text.pcap" "$tmp/err" && ok || bad "the error names the file: $(cat "$tmp/err")"

# Files that cannot be opened, input or output, are exit code 3.
expect_rc 3 "unreadable --carriers" "$bin" analyze --carriers "$tmp/none.txt" samples/demo.pcap
expect_rc 3 "unwritable --calls" "$bin" analyze --calls "$tmp/no/such/dir.ndjson" samples/demo.pcap
expect_rc 3 "unwritable --report" "$bin" analyze --report "$tmp/no/such/dir.html" samples/demo.pcap
expect_rc 1 "show: no such call" "$bin" show no-such-call samples/demo.pcap

# The diagnosis spill honours TMPDIR and leaves nothing behind; an unusable TMPDIR is a
# clear internal error (4), not a crash.
mkdir -p "$tmp/spill"
TMPDIR="$tmp/spill" "$bin" analyze --calls "$tmp/calls.ndjson" samples/demo.pcap >/dev/null 2>&1 && ok || bad "analyze with TMPDIR"
[ -z "$(ls -A "$tmp/spill")" ] && ok || bad "spill files left in TMPDIR: $(ls -A "$tmp/spill")"
expect_rc 4 "unusable TMPDIR" env TMPDIR="$tmp/none" "$bin" analyze samples/demo.pcap
TMPDIR="$tmp/none" "$bin" analyze samples/demo.pcap 2>&1 >/dev/null | grep -q TMPDIR && ok || bad "the TMPDIR error says what to do"

# Every option of every command is in --help and in the man page.
for cmd in decode analyze show identity; do
    "$bin" "$cmd" --help >"$tmp/help" 2>&1 || bad "$cmd --help exit code"
    for opt in $(grep -oE '^  --[a-z0-9-]+' "$tmp/help" | tr -d ' '); do
        esc=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
        grep -q -- "$esc" docs/sipdx.1 && ok || bad "man page lacks $cmd $opt"
    done
    grep -q "Exit codes" "$tmp/help" && ok || bad "$cmd --help lists no exit codes"
done

# --raw: a well-formed message exits 0 and shows its fields; a malformed one exits 1.
printf 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' >"$tmp/ok.sip"
expect_rc 0 "--raw valid" "$bin" decode --raw "$tmp/ok.sip"
"$bin" decode --raw "$tmp/ok.sip" | grep -q '^call-id: c1$' && ok || bad "--raw shows the Call-ID"
printf 'OPTIONS sip:a@b SIP/7.0\r\nCall-ID: c1\r\n\r\n' >"$tmp/bad.sip"
expect_rc 1 "--raw malformed" "$bin" decode --raw "$tmp/bad.sip"
"$bin" decode --raw "$tmp/bad.sip" | grep -q 'malformed: version' && ok || bad "--raw says why"


# A live capture ends on Ctrl-C (SIGINT) and still reports what it read, tally included.
if [ "$(id -u)" -eq 0 ] && command -v python3 >/dev/null; then
    "$bin" decode --live lo --filter 'udp port 45999' >"$tmp/live.out" 2>"$tmp/live.err" &
    pid=$!
    sleep 1.5
    python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):
    m = ("OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:45998;branch=z9hG4bK%d\r\n"
         "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: live%d\r\nCSeq: 1 OPTIONS\r\n"
         "Content-Length: 0\r\n\r\n" % (i, i))
    s.sendto(m.encode(), ("127.0.0.1", 45999))
PY
    sleep 0.5
    kill -INT "$pid"
    wait "$pid"; rc=$?
    [ "$rc" -eq 0 ] && ok || bad "live capture after SIGINT: exit $rc"
    [ "$(grep -c 'OPTIONS sip:a@127.0.0.1 SIP/2.0$' "$tmp/live.out")" -eq 3 ] && ok || bad "live capture: 3 OPTIONS decoded: $(cat "$tmp/live.out")"
    grep -q '^tally:' "$tmp/live.out" && ok || bad "live capture prints the tally after SIGINT"
else
    echo "SKIP: live capture test needs root and python3"
fi

echo "$passed passed, $failed failed"
