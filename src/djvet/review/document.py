"""The review as one JSON document (`--format json`): the report's content for tools and assistants."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from djvet import __version__
from djvet.finding import Finding
from djvet.review.base import ReviewState
from djvet.review.guidance import top_risks
from djvet.review.report import checklist_rows
from djvet.runner import display_path

SCHEMA = 1


def _finding(finding: Finding, status: str) -> dict[str, object]:
    return {**finding.to_json(), "status": status}


def build_document(state: ReviewState, report: Path | None, memory_folder: Path) -> dict[str, object]:
    scope, analysis, guidance, memory, context = state.scope, state.analysis, state.guidance, state.memory, state.context
    assert scope is not None and analysis is not None and guidance is not None and memory is not None and context is not None
    changes = analysis.changes
    counts = {s: sum(1 for f in changes.open if f.severity == s) for s in ("error", "warning", "info")}
    scope_json = asdict(scope)
    scope_json["signals"] = sorted(scope.signals)
    return {
        "tool": "djvet",
        "version": __version__,
        "kind": "review",
        "schema": SCHEMA,
        "project": {"name": scope.project, "root": scope.root},
        "date": state.today.isoformat(),
        "goal": scope.goal.value,
        "report": display_path(report) if report else None,
        "memory_dir": display_path(memory_folder),
        "summary": {
            "open": len(changes.open),
            "by_severity": counts,
            "accepted": len(changes.accepted),
            "new": len(changes.new),
            "fixed": len(changes.fixed),
            "still_open": len(changes.still_open),
            "files": analysis.files,
            "errors": len(analysis.errors),
            "open_questions": len(state.questions),
            "top_risks": [f.fingerprint for _, f in top_risks(guidance.groups)],
            "seconds": round(state.clock.monotonic() - state.started, 2),
        },
        "scope": scope_json,
        "plan": [{"key": p.key, "title": p.title, "why": p.why} for p in state.plan],
        "memory": {
            "folder": memory.store_root,
            "previous_review": changes.previous.to_json() if changes.previous else None,
            "applied_decisions": list(memory.applied_decisions),
            "decisions": [d.to_json() for d in memory.own.state.decisions],
            "human_lines": memory.human_lines,
            "other_skills": {m.skill: sorted(m.notes) for m in memory.others},
        },
        "context": {
            "budget": context.budget,
            "topics": list(context.topics),
            "loaded": [{"id": d.doc.id, "ref": d.doc.ref, "title": d.doc.title, "why": d.reason, "score": d.score, "text": d.text} for d in context.loaded],
            "left_out": [{"id": d.id, "ref": d.ref, "why": why} for d, why in context.left_out],
        },
        "findings": [_finding(f, changes.status(f)) for g in guidance.groups for r in g.rules for f in r.findings],
        "accepted": [{**_finding(f, "accepted"), "acceptance": a.to_json()} for f, a in changes.accepted],
        "errors": [e.to_json() for e in analysis.errors],
        "guidance": {
            "findings": [r.to_json() for _, _, items in guidance.recommendations for r in items],
            "project": [a.to_json() for a in guidance.project],
        },
        "inventory": [s.to_json() for s in analysis.inventory],
        "changes": {
            "previous": changes.previous.to_json() if changes.previous else None,
            "new": [f.fingerprint for f in changes.new],
            "still_open": [f.fingerprint for f in changes.still_open],
            "fixed": [{"fingerprint": r.fingerprint, **r.to_json()} for r in changes.fixed],
            "accepted": [a.fingerprint for _, a in changes.accepted],
            "expired": [a.to_json() for _, a in changes.expired],
            "unmatched_acceptances": [a.to_json() for a in changes.unmatched],
        },
        "open_questions": [{"topic": q.topic, "question": q.question, "meanwhile": q.meanwhile, "settle": q.settle} for q in state.questions],
        "checklist": list(checklist_rows(state)),
    }
