"""Networks and their training. Every model maps integer token inputs to logits."""
