"""Autofixes as format-preserving libcst codemods (`djvet fix`), never regex or string splicing."""
