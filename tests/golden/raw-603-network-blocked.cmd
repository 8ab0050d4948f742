decode --raw tests/fixtures/raw/603-network-blocked.sip
