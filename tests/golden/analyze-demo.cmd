analyze samples/demo.pcap
