analyze --calls - tests/fixtures/frag.pcap
