#!/usr/bin/env bash
# The project's own captures (made with SIPp, see tests/fixtures/README.md): sipdx must
# find exactly the messages tshark found when they were made, field by field.
set -u
bin=${SIPDX_BIN:-./sipdx}
command -v python3 >/dev/null || { echo "FAIL python3 is missing (scripts/install-deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
python3 tests/fixtures/compare.py "$bin" tests/fixtures/*.pcap samples/demo.pcap
