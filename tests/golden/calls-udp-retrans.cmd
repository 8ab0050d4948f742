analyze --calls - tests/fixtures/udp-retrans.pcap
