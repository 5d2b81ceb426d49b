"""Query rules (DJV1xx): N+1 queries, queries in loops, ORM performance."""
