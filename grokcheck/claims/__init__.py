"""One module per claim, grouped by the paper it checks; `grokcheck.registry` maps claim ids to them."""
