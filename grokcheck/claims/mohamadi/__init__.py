"""Claims of Mohamadi, Li, Wu & Sutherland (ICML 2024), "Why Do You Grok?"."""
