"""Claims of Tikeng Notsawo, Dumas & Rabusseau (ICML 2025), "Grokking Beyond the Euclidean Norm"."""
