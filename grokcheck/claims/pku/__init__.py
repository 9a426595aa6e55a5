"""Claims of the PKU course project (Liang, Gao, Mao), "Grokking Phenomenon"."""
