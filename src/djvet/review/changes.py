"""What changed since the last review: new, fixed, still open and accepted findings."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from djvet.finding import Finding
from djvet.review.memory import AcceptedRisk, MemoryState, RecordedFinding, ReviewRecord


@dataclass(frozen=True, slots=True)
class Changes:
    previous: ReviewRecord | None  # None: the first review this memory has seen
    new: tuple[Finding, ...]
    still_open: tuple[Finding, ...]
    fixed: tuple[RecordedFinding, ...]
    accepted: tuple[tuple[Finding, AcceptedRisk], ...]
    expired: tuple[tuple[Finding, AcceptedRisk], ...]  # open again: their acceptance ran out
    unmatched: tuple[AcceptedRisk, ...]  # accepted risks no finding carries any more

    @property
    def open(self) -> tuple[Finding, ...]:
        return tuple(sorted(self.new + self.still_open, key=Finding.sort_key))

    def status(self, finding: Finding) -> str:
        return "new" if finding in self.new else "still open"


def active_acceptances(accepted: Sequence[AcceptedRisk], today: datetime.date) -> dict[str, AcceptedRisk]:
    return {a.fingerprint: a for a in accepted if a.is_active(today)}


def compare(
    previous: MemoryState, findings: Sequence[Finding], accepted: Sequence[AcceptedRisk], today: datetime.date
) -> Changes:
    active = active_acceptances(accepted, today)
    by_fingerprint: Mapping[str, AcceptedRisk] = {a.fingerprint: a for a in accepted}
    new: list[Finding] = []
    still_open: list[Finding] = []
    accepted_now: list[tuple[Finding, AcceptedRisk]] = []
    expired: list[tuple[Finding, AcceptedRisk]] = []
    for finding in sorted(findings, key=Finding.sort_key):
        acceptance = by_fingerprint.get(finding.fingerprint)
        if finding.fingerprint in active:
            accepted_now.append((finding, active[finding.fingerprint]))
            continue
        if acceptance is not None:
            expired.append((finding, acceptance))
        (still_open if finding.fingerprint in previous.findings else new).append(finding)
    current = {f.fingerprint for f in findings}
    fixed = tuple(r for fp, r in sorted(previous.findings.items(), key=lambda i: (i[1].path, i[1].line, i[0])) if fp not in current)
    unmatched = tuple(sorted((a for a in accepted if a.fingerprint not in current), key=lambda a: a.fingerprint))
    return Changes(
        previous=previous.reviews[-1] if previous.reviews else None,
        new=tuple(new),
        still_open=tuple(still_open),
        fixed=fixed,
        accepted=tuple(accepted_now),
        expired=tuple(expired),
        unmatched=unmatched,
    )


def recorded(findings: Sequence[Finding], previous: MemoryState, today: datetime.date) -> dict[str, RecordedFinding]:
    """This run's findings as the memory keeps them, with the day each was first seen."""
    day = today.isoformat()
    out = {}
    for finding in findings:
        earlier = previous.findings.get(finding.fingerprint)
        out[finding.fingerprint] = RecordedFinding(
            finding.fingerprint,
            finding.code,
            finding.severity,
            finding.path,
            finding.line,
            finding.message,
            earlier.first_seen if earlier and earlier.first_seen else day,
            day,
        )
    return out
