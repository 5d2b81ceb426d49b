"""astroid helpers shared by two or more rules."""
