"""One module per claim (experiment + pytest assertions), the claim registry and the CLI."""
