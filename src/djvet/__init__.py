"""djvet: a static analyzer for Django and Django REST Framework projects."""

__version__ = "0.1.0"
