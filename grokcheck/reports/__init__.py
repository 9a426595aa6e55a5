"""PDF reports rendered from stored Results alone (DESIGN.md "A report")."""
