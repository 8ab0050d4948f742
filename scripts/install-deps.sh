#!/usr/bin/env bash
# Installs what a fresh Debian 12 (as root) lacks to build and test sipdx. Quiet and quick
# when everything is already there. Packages:
#   build:  gcc make pkg-config libpcap-dev zlib1g-dev libcjson-dev libssl-dev
#   fuzz:   clang-14 libclang-rt-14-dev (make fuzz)
#   tests:  sip-tester (SIPp, to make fixtures), tcpdump, tshark (cross-checks), python3
#           (corpus agreement checks), chromium + fonts-liberation (the --report page is
#           loaded headless by tests/shell/test_report.sh)
set -eu
need=()
for p in gcc make pkg-config libpcap-dev zlib1g-dev libcjson-dev libssl-dev \
         clang-14 libclang-rt-14-dev tcpdump tshark sip-tester python3 chromium fonts-liberation; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${need[*]}" >&2
    echo "install-deps: run as root, or: sudo apt-get install ${need[*]}" >&2
    exit 1
fi
echo "install-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
