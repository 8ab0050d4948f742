decode tests/fixtures/udp-basic.pcap
