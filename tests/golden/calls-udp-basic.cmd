analyze --calls - tests/fixtures/udp-basic.pcap
