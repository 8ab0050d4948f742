analyze --calls - tests/fixtures/ipv6.pcap
