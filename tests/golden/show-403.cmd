show 1-831@127.0.0.1 tests/fixtures/udp-basic.pcap
