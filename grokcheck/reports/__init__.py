"""PDF reports rendered from stored Results alone."""
