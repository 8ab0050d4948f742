analyze --calls - tests/fixtures/forked.pcap
