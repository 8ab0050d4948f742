decode --format json tests/fixtures/frag.pcap
