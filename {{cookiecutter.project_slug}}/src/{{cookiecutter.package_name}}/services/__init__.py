"""Applications: commands, queries and policies. They never call each other."""
