decode --raw tests/fixtures/raw/bad-version.sip
