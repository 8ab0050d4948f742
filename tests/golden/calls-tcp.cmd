analyze --calls - tests/fixtures/tcp.pcap
