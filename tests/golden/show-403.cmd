show 1-24882@127.0.0.1 tests/fixtures/udp-basic.pcap
