"""Rules, one per file, grouped by family; each registers itself on import (see djvet.rule)."""
