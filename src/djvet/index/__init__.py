"""The project index: static facts about the whole project, built once per run, never by importing it."""

from djvet.index.build import build_index
from djvet.index.facts import UNKNOWN, ProjectIndex

__all__ = ["UNKNOWN", "ProjectIndex", "build_index"]
