"""Injection and output safety rules (DJV4xx): SQL, HTML, redirects, deserialization and files."""
