analyze --calls - tests/fixtures/b2bua.pcap
