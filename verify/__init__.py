"""The executable theorems: one pytest module per claim, asserting it at ci scale (`pytest verify/`)."""
