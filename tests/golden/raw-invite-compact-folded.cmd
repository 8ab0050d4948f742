decode --raw tests/fixtures/raw/invite-compact-folded.sip
