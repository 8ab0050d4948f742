show a84b4c76e66710@127.0.0.1 tests/fixtures/b2bua.pcap
