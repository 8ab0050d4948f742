#!/bin/sh
# pgo-train.sh INSTRUMENTED-SIPDX GEN PROFILE-DIR
#
# Runs the instrumented sipdx (Makefile: build/pgo-gen) over training traffic, so that the
# release build is compiled with real branch and call counts (profile-guided optimisation).
#
# The traffic is what sipdx meets in the field, in the shares the generator models (see
# bench/gen.c): UDP and TCP, fragmented signed INVITEs, answered calls and the usual
# refusals, RTP to skip; plus the small SIPp captures of the tests and the bundled sample,
# through every command. It is generated with a seed the benchmark does not use (the
# benchmark's captures use seed 1), and is small: the counts need shapes, not volume.
# Paths the training does not reach are compiled as without profile
# (-fprofile-partial-training), never as cold.
set -eu
bin=$1 gen=$2 prof=$3
cd "$(dirname "$0")/.."

# counts add up across runs: start from nothing, or stale counts would mix in
rm -rf "$prof"
mkdir -p "$prof"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$gen" --calls 4000 --seed 2 "$tmp/train.pcap" >/dev/null
fixtures="samples/demo.pcap $(ls tests/fixtures/*.pcap)"

echo "  PGO   training run of $bin"
"$bin" analyze --no-progress "$tmp/train.pcap" >/dev/null 2>&1
"$bin" analyze --no-progress --no-diagnosis "$tmp/train.pcap" >/dev/null 2>&1
"$bin" decode --format none "$tmp/train.pcap" >/dev/null 2>&1
for f in $fixtures; do
    "$bin" analyze --no-progress --format json --calls "$tmp/calls.ndjson" \
        --report "$tmp/report.html" "$f" >/dev/null 2>&1
    "$bin" decode --format json "$f" >/dev/null 2>&1
done
"$bin" analyze --no-progress --calls "$tmp/calls.ndjson" samples/demo.pcap >/dev/null 2>&1
cid=$(sed -n 's/^{"schema":1,"call_id":"\([^"]*\)".*/\1/p' "$tmp/calls.ndjson" | head -n 1)
"$bin" show "$cid" samples/demo.pcap >/dev/null
touch "$prof/.trained"
