analyze --calls - tests/fixtures/cancel.pcap
