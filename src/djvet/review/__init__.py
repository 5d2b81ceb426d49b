"""`djvet review`: a six-step engagement workflow over the same engine as `djvet check`
(scope, memory, context, analyze, guidance, output + memory update). `engine` and `index` never
import this package."""

from djvet.review.base import FrozenClock, ReviewOptions, ReviewStepError, SystemClock
from djvet.review.context import ContextProvider, FolderContextProvider
from djvet.review.memory import FileMemoryStore, MemoryStore
from djvet.review.pipeline import PIPELINE, run_review

__all__ = [
    "PIPELINE",
    "ContextProvider",
    "FileMemoryStore",
    "FolderContextProvider",
    "FrozenClock",
    "MemoryStore",
    "ReviewOptions",
    "ReviewStepError",
    "SystemClock",
    "run_review",
]
