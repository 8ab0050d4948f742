#!/usr/bin/env bash
# Regenerates the project's own SIP captures with a real SIP stack (SIPp) and tcpdump:
#   tests/fixtures/<name>.pcap            small captures for the golden tests
#   tests/fixtures/<name>.expected.tsv    facts per SIP message, taken from tshark (not sipdx)
#   samples/demo.pcap (+ .expected.tsv)   the capture behind `make demo`
#
# Usage (root: network namespaces + tcpdump), from anywhere:
#   scripts/make-fixtures.sh              every capture
#   scripts/make-fixtures.sh tcp frag     only these (names as in the list in main below)
#
# Every capture is taken inside a private network namespace, so nothing else on this
# machine's loopback can slip into it and the SIP ports cannot clash with other users.
# Needs: sipp (Debian sip-tester), tcpdump, tshark, python3, iproute2. Not run by make check.
set -euo pipefail
cd "$(dirname "$0")/.."

FIX=tests/fixtures
SCN=$FIX/scenarios
NS=sxfix
WORK=$(mktemp -d /tmp/sxfix.XXXXXX)
BG_PIDS=()     # sipp UAS and tcpdump processes started by this script
CAP_PID=

cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    ip netns del "$NS" 2>/dev/null || true
    if [ -n "${KEEP_WORK:-}" ]; then echo "work files kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

die() { echo "make-fixtures: $*" >&2; exit 1; }
nsx() { ip netns exec "$NS" "$@"; }

# new_ns [MTU]: a fresh namespace whose loopback has the given MTU (default: Linux's 65536).
new_ns() {
    ip netns del "$NS" 2>/dev/null || true
    ip netns add "$NS"
    nsx ip link set lo mtu "${1:-65536}" up
}

# cap_start FILE / cap_stop: tcpdump on the namespace's loopback. --immediate-mode so the
# last packets are not left in the kernel ring when tcpdump is stopped. The filter keeps
# IPv6 fragments too (their next header is 44, not UDP).
cap_start() {
    CAP_FILE=$1
    # Not through nsx: $! must be tcpdump itself (ip netns exec execs it in place).
    ip netns exec "$NS" tcpdump -i lo -s 0 --immediate-mode -U -w "$CAP_FILE" \
        'udp or tcp or (ip6 and ip6[6] == 44)' 2>"$WORK/tcpdump.log" &
    CAP_PID=$!
    BG_PIDS+=("$CAP_PID")
    sleep 1
}
cap_stop() {
    sleep 1
    # SIGTERM, not SIGINT: a background job of a script starts with SIGINT ignored.
    kill -TERM "$CAP_PID"
    wait "$CAP_PID" || true
}

# uas SCENARIO IP PORT [sipp options...]: a SIPp server for one call, in the background.
# uac SCENARIO DEST IP PORT [sipp options...]: a SIPp client for one call, in the foreground.
# The keys xh and xsdp default to empty (SIPp keeps the first -key of a name, so the
# defaults come after the caller's options).
UAS_PIDS=()
uas() {
    local scn=$1 ip=$2 port=$3; shift 3
    ip netns exec "$NS" sipp -sf "$SCN/$scn.xml" -i "$ip" -p "$port" -m 1 -nostdin \
        -trace_err -error_file "$WORK/uas-$port.err" "$@" >/dev/null 2>&1 &
    UAS_PIDS+=("$!"); BG_PIDS+=("$!")
    sleep 0.3
}
uac() {
    local scn=$1 dest=$2 ip=$3 port=$4; shift 4
    local rc=0
    nsx timeout 60 sipp "$dest" -sf "$SCN/$scn.xml" -i "$ip" -p "$port" -m 1 -nostdin \
        -trace_err -error_file "$WORK/uac.err" "$@" -key xh "" -key xsdp "" >/dev/null 2>&1 || rc=$?
    return $rc
}
# uas_wait: every UAS started since the last call must end by itself (its call completed).
uas_wait() {
    local p rc=0
    for p in "${UAS_PIDS[@]}"; do wait "$p" || rc=1; done
    UAS_PIDS=()
    [ $rc -eq 0 ] || { cat "$WORK"/uas-*.err 2>/dev/null | tail -n 20 || true; die "a SIPp UAS failed"; }
}
# call UAS_SCN UAC_SCN DEST UAS_IP UAS_PORT UAC_IP UAC_PORT "UAS opts" UAC opts...:
# one complete call; both sides must succeed.
call() {
    local uscn=$1 cscn=$2 dest=$3 uip=$4 uport=$5 cip=$6 cport=$7 uopts=$8; shift 8
    # shellcheck disable=SC2086 # uopts is a list of words on purpose
    uas "$uscn" "$uip" "$uport" $uopts
    uac "$cscn" "$dest" "$cip" "$cport" "$@" || { tail -n 20 "$WORK/uac.err" 2>/dev/null || true; die "UAC $cscn failed"; }
    uas_wait
}

# ---- STIR/SHAKEN Identity header (RFC 8224, RFC 8588) ----
# The JWS header and payload are real base64url JSON, so a decoder can read them; the
# signature is 64 made-up bytes (a SHA-512 of the signing input): it never verifies.
b64u() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
# identity ORIG DEST ATTEST [EXTRA_JSON_CLAIMS]: prints the header line (without CR LF).
identity() {
    local orig=$1 dest=$2 att=$3 extra=${4:-} iat h p s
    iat=$(date +%s)
    h=$(printf '%s' '{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"https://cert.example/cert.pem"}' | b64u)
    p=$(printf '{"attest":"%s","dest":{"tn":["%s"]},"iat":%s,"orig":{"tn":"%s"},"origid":"%s"%s}' \
        "$att" "$dest" "$iat" "$orig" "$(uuid_of "$orig$dest$iat")" "$extra" | b64u)
    s=$(printf '%s' "$h.$p" | openssl dgst -sha512 -binary | b64u)
    printf 'Identity: %s.%s.%s;info=<https://cert.example/cert.pem>;alg=ES256;ppt=shaken' "$h" "$p" "$s"
}
# uuid_of TEXT: a stable UUID-shaped string derived from TEXT.
uuid_of() {
    local x
    x=$(printf '%s' "$1" | sha256sum | cut -c1-32)
    printf '%s-%s-4%s-a%s-%s' "${x:0:8}" "${x:8:4}" "${x:13:3}" "${x:17:3}" "${x:20:12}"
}
CRLF=$'\r\n'

# ---- expected facts, from tshark ----
# One line per SIP message (a TCP segment may carry several): epoch time (6 decimals), src
# ip, src port, dst ip, dst port, transport, method or status code, Call-ID, CSeq number,
# CSeq method. Read from tshark's PDML so that every SIP PDU in a frame is its own line.
facts() {
    local pcap=$1 out=$2
    tshark -r "$pcap" -o ip.defragment:TRUE -o ipv6.defragment:TRUE -Y sip -T pdml 2>/dev/null \
        | python3 -c '
import sys, xml.etree.ElementTree as ET
def field(el, name):
    for f in el.iter("field"):
        if f.get("name") == name:
            return f.get("show")
    return None
print("#epoch\tsrc\tsport\tdst\tdport\ttransport\tmethod_or_status\tcall_id\tcseq\tcseq_method")
for _, pkt in ET.iterparse(sys.stdin, events=("end",)):
    if pkt.tag != "packet":
        continue
    protos = {p.get("name"): p for p in pkt.findall("proto")}
    t = field(protos["frame"], "frame.time_epoch")
    sec, frac = t.split(".")
    t = sec + "." + (frac + "000000")[:6]
    ipl = protos.get("ip") or protos.get("ipv6")
    pre = "ip" if "ip" in protos else "ipv6"
    tr = "TCP" if "tcp" in protos else "UDP"
    l4 = protos[tr.lower()]
    src, dst = field(ipl, pre + ".src"), field(ipl, pre + ".dst")
    sp, dp = field(l4, tr.lower() + ".srcport"), field(l4, tr.lower() + ".dstport")
    for sip in pkt.findall("proto"):
        if sip.get("name") != "sip":
            continue
        what = field(sip, "sip.Method") or field(sip, "sip.Status-Code")
        print("\t".join([t, src, sp, dst, dp, tr, what, field(sip, "sip.Call-ID"),
                         field(sip, "sip.CSeq.seq"), field(sip, "sip.CSeq.method")]))
    pkt.clear()
' >"$out"
    [ "$(wc -l <"$out")" -gt 1 ] || die "tshark found no SIP in $pcap"
}

# finish NAME DIR: move the capture into place, write its facts, print a summary.
finish() {
    local name=$1 dir=${2:-$FIX}
    mv "$WORK/$name.pcap" "$dir/$name.pcap"
    chown "$(id -u):$(id -g)" "$dir/$name.pcap"; chmod 644 "$dir/$name.pcap"   # tcpdump wrote it as its own user
    facts "$dir/$name.pcap" "$dir/$name.expected.tsv"
    printf '%-14s %6d bytes, %3d SIP messages: %s\n' "$name" "$(stat -c %s "$dir/$name.pcap")" \
        "$(($(wc -l <"$dir/$name.expected.tsv") - 1))" \
        "$(tail -n +2 "$dir/$name.expected.tsv" | cut -f7 | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')"
}

# ---- the captures ----
UAC1="127.0.0.1:5060"   # most fixtures: UAC 127.0.0.1:5060 -> UAS 127.0.0.1:5070

cap_udp_basic() {
    new_ns; cap_start "$WORK/udp-basic.pcap"
    # answered: ~0.4 s ringing, ~1 s talk
    call uas_answer uac_call 127.0.0.1:5070 127.0.0.1 5070 127.0.0.1 5060 "-d 400" -d 1000 \
        -key caller 12124960143 -key callee 13104960187 -key cname "Alice Carter"
    sleep 0.3
    call uas_403 uac_call 127.0.0.1:5070 127.0.0.1 5070 127.0.0.1 5060 "-d 50" \
        -key caller 14154960112 -key callee 16464960134 -key cname "Bay Area Solar"
    sleep 0.3
    call uas_603 uac_call 127.0.0.1:5070 127.0.0.1 5070 127.0.0.1 5060 "-d 0" \
        -key caller 17134960121 -key callee 12064960176 -key cname "Harris Clinic"
    sleep 0.3
    call uas_608 uac_call 127.0.0.1:5070 127.0.0.1 5070 127.0.0.1 5060 "-d 120" \
        -key caller 13124960199 -key callee 19174960148 -key cname "Warranty Dept"
    sleep 0.3
    call uas_486 uac_call 127.0.0.1:5070 127.0.0.1 5070 127.0.0.1 5060 "-d 800" \
        -key caller 16174960168 -key callee 15124960163 -key cname "Dana Whitfield"
    sleep 0.3
    # a pair on non-standard ports, so the SIP must be recognised by its content
    call uas_404 uac_call 127.0.0.2:15060 127.0.0.2 15060 127.0.0.1 15061 "-d 30" \
        -key caller 13034960182 -key callee 14044960100 -key cname "Front Range HVAC"
    cap_stop; finish udp-basic
}

cap_udp_retrans() {
    new_ns; cap_start "$WORK/udp-retrans.pcap"
    # the UAS sits on the INVITE for 1.8 s: two retransmissions (+0.5 s, +1.5 s) before 100
    call uas_late uac_call 127.0.0.1:5070 127.0.0.1 5070 127.0.0.1 5060 "-d 300" -d 1000 \
        -key caller 12124960143 -key callee 13104960187 -key cname "Alice Carter"
    sleep 0.3
    # no answer at all: retransmissions at +0.5 1.5 3.5 7.5 15.5 31.5 s, gives up at 32 s
    # (Timer B); -nd: no BYE/CANCEL on giving up, as RFC 3261 17.1.1.2 says
    uas uas_silent 127.0.0.1 5070
    if uac uac_call 127.0.0.1:5070 127.0.0.1 5060 -max_invite_retrans 6 -recv_timeout 32000 -nd \
        -key caller 14154960112 -key callee 16464960134 -key cname "Bay Area Solar"; then
        die "the unanswered call should have failed"
    fi
    uas_wait
    cap_stop; finish udp-retrans
}

cap_cancel() {
    new_ns; cap_start "$WORK/cancel.pcap"
    call uas_cancel uac_cancel 127.0.0.1:5070 127.0.0.1 5070 127.0.0.1 5060 "" -d 1500 \
        -key caller 12124960143 -key callee 13104960187 -key cname "Alice Carter"
    cap_stop; finish cancel
}

cap_auth() {
    new_ns; cap_start "$WORK/auth.pcap"
    call uas_auth uac_auth 127.0.0.1:5070 127.0.0.1 5070 127.0.0.1 5060 "-d 200" -d 1000 \
        -key caller 12124960143 -key callee 13104960187 -key cname "Alice Carter"
    cap_stop; finish auth
}

cap_tcp() {
    new_ns; cap_start "$WORK/tcp.pcap"
    call uas_answer uac_call 127.0.0.1:5070 127.0.0.1 5070 127.0.0.1 5060 "-t t1 -d 400" -t t1 -d 1000 \
        -key caller 12124960143 -key callee 13104960187 -key cname "Alice Carter"
    sleep 0.3
    call uas_403 uac_call 127.0.0.1:5070 127.0.0.1 5070 127.0.0.1 5060 "-t t1 -d 50" -t t1 \
        -key caller 14154960112 -key callee 16464960134 -key cname "Bay Area Solar"
    sleep 0.3
    # 100 and 183 in one TCP segment, then 486
    call uas_coalesce uac_call 127.0.0.1:5070 127.0.0.1 5070 127.0.0.1 5060 "-t t1 -d 700" -t t1 \
        -key caller 16174960168 -key callee 15124960163 -key cname "Dana Whitfield"
    cap_stop
    [ "$(tshark -r "$WORK/tcp.pcap" -Y 'sip.Status-Code == 100 && sip.Status-Code == 183' 2>/dev/null | wc -l)" -eq 1 ] \
        || die "tcp: expected one segment holding both 100 and 183"
    finish tcp
}

cap_ipv6() {
    new_ns; cap_start "$WORK/ipv6.pcap"
    call uas_603 uac_call "[::1]:5070" ::1 5070 ::1 5060 "-d 80" \
        -key caller 12124960143 -key callee 13104960187 -key cname "Alice Carter"
    cap_stop; finish ipv6
}

# A long Identity header (rich call data claims make it ~900 bytes) and a big SDP: the
# INVITE is > 1500 bytes, so on a 1500-byte MTU loopback the kernel fragments it.
BIG_SDP="${CRLF}a=ptime:20${CRLF}a=maxptime:40"
BIG_SDP+="${CRLF}a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32"
BIG_SDP+="${CRLF}a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32"
BIG_SDP+="${CRLF}m=video 6010 RTP/AVP 96 97 98${CRLF}a=rtpmap:96 H264/90000"
BIG_SDP+="${CRLF}a=fmtp:96 profile-level-id=42e01f;packetization-mode=1;max-mbps=108000;max-fs=3600"
BIG_SDP+="${CRLF}a=rtpmap:97 H264/90000${CRLF}a=fmtp:97 profile-level-id=42e01f;packetization-mode=0"
BIG_SDP+="${CRLF}a=rtpmap:98 VP8/90000${CRLF}a=rtcp-fb:* nack${CRLF}a=rtcp-fb:* nack pli"
BIG_SDP+="${CRLF}a=rtcp-fb:* ccm fir${CRLF}a=sendrecv"
RCD=',"rcd":{"nam":"Carter Family Dental","apn":"+12124960143","icn":"https://logo.example/carter-family-dental/icon-256x256.png","jcl":"https://rcd.example/jcards/carter-family-dental.json"},"crn":"Appointment reminder from Carter Family Dental, 1450 Broadway, Suite 300, New York, NY 10018"'

cap_frag() {
    new_ns 1500; cap_start "$WORK/frag.pcap"
    local id
    id=$(identity 12124960143 13104960187 A "$RCD")
    [ ${#id} -gt 800 ] || die "Identity header too short (${#id})"
    call uas_438 uac_call 127.0.0.1:5070 127.0.0.1 5070 127.0.0.1 5060 "-d 60" \
        -key caller 12124960143 -key callee 13104960187 -key cname "Carter Family Dental" \
        -key xh "$CRLF$id" -key xsdp "$BIG_SDP"
    sleep 0.3
    id=$(identity 12124960143 13104960187 A "$RCD")
    call uas_answer uac_call "[::1]:5070" ::1 5070 ::1 5060 "-d 300" -d 1000 \
        -key caller 12124960143 -key callee 13104960187 -key cname "Carter Family Dental" \
        -key xh "$CRLF$id" -key xsdp "$BIG_SDP"
    cap_stop
    local n4 n6
    n4=$(tshark -r "$WORK/frag.pcap" -Y 'ip.flags.mf == 1' 2>/dev/null | wc -l)
    n6=$(tshark -r "$WORK/frag.pcap" -Y 'ipv6.fraghdr.more == 1' 2>/dev/null | wc -l)
    [ "$n4" -ge 1 ] && [ "$n6" -ge 1 ] || die "frag: expected IPv4 and IPv6 fragments, got $n4/$n6"
    finish frag
}

cap_forked() {
    new_ns; cap_start "$WORK/forked.pcap"
    call uas_fork uac_call 127.0.0.1:5070 127.0.0.1 5070 127.0.0.1 5060 "-d 600" -d 1000 \
        -key caller 12124960143 -key callee 13104960187 -key cname "Alice Carter"
    cap_stop; finish forked
}

# A B2BUA (127.0.0.2) between a caller (127.0.0.1) and a carrier (127.0.0.3). Played by
# three SIPp processes started in the order a B2BUA would act: leg A's UAS answers 100 and
# holds the call, leg B's UAC (the B2BUA's outbound side, port 5062) re-originates with a
# new Call-ID, the same Session-ID (RFC 7989) and X-CID = leg A's Call-ID; the carrier
# rejects leg B with 608, and leg A's UAS then relays 608 to the caller.
cap_b2bua() {
    new_ns; cap_start "$WORK/b2bua.pcap"
    local sid=ab30317f1a784dc48ff824d0d3715d86 nul=00000000000000000000000000000000
    local cida="a84b4c76e66710@127.0.0.1" cidb="b2b-5f0c1e2d9a4b@127.0.0.2"
    uas uas_608 127.0.0.2 5060 -d 900             # leg A, B2BUA inbound side
    uas uas_608 127.0.0.3 5060 -d 400             # the carrier
    ip netns exec "$NS" timeout 30 sipp 127.0.0.2:5060 -sf "$SCN/uac_call.xml" -i 127.0.0.1 -p 5060 -m 1 -nostdin \
        -cid_str "$cida" -key caller 12124960143 -key callee 13104960187 -key cname "Alice Carter" \
        -key xh "${CRLF}Session-ID: $sid;remote=$nul" -key xsdp "" >/dev/null 2>&1 &
    local a=$!; BG_PIDS+=("$a")
    sleep 0.15
    uac uac_call 127.0.0.3:5060 127.0.0.2 5062 -cid_str "$cidb" \
        -key caller 12124960143 -key callee 13104960187 -key cname "Alice Carter" \
        -key xh "${CRLF}Session-ID: $sid;remote=$nul${CRLF}X-CID: $cida" \
        || die "b2bua leg B failed"
    wait "$a" || die "b2bua leg A failed"
    uas_wait
    cap_stop; finish b2bua
}

# ---- samples/demo.pcap: a dialer and three carriers ----
# The dialer is 127.0.0.1:5060; the carriers are 127.0.0.2, .3 and .4, port 5060. Each call
# is one SIPp UAC against a one-call SIPp UAS whose answer follows the carrier's policy:
#   carrier 1 (127.0.0.2) rejects every INVITE without an Identity header: 403 + Q.850 21;
#                         signed calls are answered, or busy (486), or unknown number (404)
#   carrier 2 (127.0.0.3) answers; call analytics block +13124960199 ("Warranty Dept") with
#                         608 + jCard Call-Info once it has carried 3 of its calls;
#                         some callees decline fast (603) or are busy (486)
#   carrier 3 (127.0.0.4) is overloaded: 503 + Retry-After on many calls, answers the rest
# Choices come from bash's RANDOM with a fixed seed, so a rerun makes the same plan; the
# plan is written to samples/demo.calls.tsv.
DEMO_CALLERS=(12124960143 13124960199 14154960112 16174960168 17134960121 12024960177)
DEMO_NAMES=("Carter Family Dental" "Warranty Dept" "Bay Area Solar" "Dana Whitfield" "Harris Clinic" "Capitol Pharmacy")
DEMO_SIGNED=(A - B - A B)   # attestation of each caller's signed calls; - = never signed
DEMO_CALLEES=(13104960187 16464960134 12064960176 19174960148 15124960163 14044960100
              17024960119 13034960182 16194960141 18134960157 15034960126 14804960190)

cap_demo() {
    local n=${DEMO_CALLS:-48} i c who callee signed uscn delay talk xh gap
    local plan=samples/demo.calls.tsv c2_warranty=0
    mkdir -p samples
    new_ns; cap_start "$WORK/demo.pcap"
    RANDOM=4242
    printf '#n\tcarrier\tcaller\tcallee\tidentity\toutcome\n' >"$plan"
    for ((i = 1; i <= n; i++)); do
        c=$((i % 3 + 1))
        who=$((RANDOM % ${#DEMO_CALLERS[@]}))
        [ $c -eq 2 ] && [ $((RANDOM % 2)) -eq 0 ] && who=1     # the warranty dialer is busy
        callee=${DEMO_CALLEES[$((RANDOM % ${#DEMO_CALLEES[@]}))]}
        signed=${DEMO_SIGNED[$who]}
        [ "$signed" != - ] && [ $((RANDOM % 5)) -eq 0 ] && signed=-   # a signer that forgot
        delay=$((200 + RANDOM % 1000)); talk=$((500 + RANDOM % 1000))
        case $c in
            1) if [ "$signed" = - ]; then uscn=403; delay=$((20 + RANDOM % 60))
               else case $((RANDOM % 7)) in 0) uscn=486 ;; 1) uscn=404; delay=30 ;; *) uscn=answer ;; esac
               fi ;;
            2) if [ $who -eq 1 ] && [ $((c2_warranty++)) -ge 3 ]; then uscn=608; delay=$((80 + RANDOM % 80))
               else case $((RANDOM % 8)) in 0|1) uscn=603; delay=0 ;; 2) uscn=486 ;; *) uscn=answer ;; esac
               fi ;;
            3) case $((RANDOM % 9)) in 0|1|2|3) uscn=503; delay=$((10 + RANDOM % 40)) ;;
                   4) uscn=404; delay=40 ;; *) uscn=answer ;; esac ;;
        esac
        xh=""
        [ "$signed" != - ] && xh="$CRLF$(identity "${DEMO_CALLERS[$who]}" "$callee" "$signed")"
        printf '%d\t127.0.0.%d\t+%s\t+%s\t%s\t%s\n' "$i" $((c + 1)) "${DEMO_CALLERS[$who]}" "$callee" \
            "$( [ "$signed" = - ] && echo none || echo "$signed")" "$uscn" >>"$plan"
        call "uas_$uscn" uac_call "127.0.0.$((c + 1)):5060" "127.0.0.$((c + 1))" 5060 127.0.0.1 5060 \
            "-d $delay" -d "$talk" -key caller "${DEMO_CALLERS[$who]}" -key callee "$callee" \
            -key cname "${DEMO_NAMES[$who]}" -key xh "$xh" -cid_str "$(uuid_of "demo-$i-$EPOCHREALTIME")"
        gap=$((RANDOM % 400)); sleep "0.$(printf %03d $gap)"
    done
    cap_stop; finish demo samples
}

main() {
    [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, tcpdump)"
    local t
    for t in sipp tcpdump tshark python3 ip openssl; do
        command -v "$t" >/dev/null || die "missing $t (scripts/install-deps.sh installs it)"
    done
    local all=(udp-basic udp-retrans cancel auth tcp ipv6 frag forked b2bua demo)
    local want=("$@")
    [ ${#want[@]} -gt 0 ] || want=("${all[@]}")
    for t in "${want[@]}"; do
        declare -F "cap_${t//-/_}" >/dev/null || die "unknown capture $t"
        "cap_${t//-/_}"
    done
}
main "$@"
