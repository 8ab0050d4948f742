analyze --calls - tests/fixtures/auth.pcap
