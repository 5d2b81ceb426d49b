"""Step 5, guidance: a concrete recommendation for every finding (the patch, or the pattern with
code), grouped by family and ranked by impact; then project-level recommendations.

Plug-ins: a finding writer registers for a rule code or a family digit with `register_writer`
(modules in djvet/review/writers/ are imported on first use); a project advisor is appended to
`ADVISORS` in djvet/review/advisors.py. Neither touches the pipeline."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from djvet.catalog import FAMILIES, RuleMeta
from djvet.finding import Finding
from djvet.index.facts import ProjectIndex
from djvet.review.base import CONFIDENCE_RANK, SEVERITY_RANK, ReviewState, StepResult, family_order
from djvet.review.context import ContextSelection
from djvet.review.inventory import InventoryContext
from djvet.review.scope import Scope


@dataclass(frozen=True, slots=True)
class RuleGroup:
    meta: RuleMeta
    findings: tuple[Finding, ...]

    @property
    def code(self) -> str:
        return self.meta.code


@dataclass(frozen=True, slots=True)
class FamilyGroup:
    family: str
    name: str
    rules: tuple[RuleGroup, ...]

    @property
    def count(self) -> int:
        return sum(len(r.findings) for r in self.rules)


@dataclass(frozen=True, slots=True)
class Recommendation:
    title: str
    code: str
    severity: str
    what: str  # what to do, in a sentence or two
    findings: tuple[Finding, ...]  # what it resolves
    patch: str | None = None  # a unified diff against the file as it is
    pattern: str | None = None  # code showing the pattern, when no patch can be written
    why: str = ""
    docs: tuple[str, ...] = ()  # loaded guidance documents that cover it (refs)
    fixable: bool = False  # `djvet fix` applies it

    def to_json(self) -> dict[str, object]:
        return {
            "title": self.title,
            "code": self.code,
            "severity": self.severity,
            "what": self.what,
            "why": self.why,
            "patch": self.patch,
            "pattern": self.pattern,
            "fixable": self.fixable,
            "findings": [f.fingerprint for f in self.findings],
            "guidance_documents": list(self.docs),
        }


@dataclass(frozen=True, slots=True)
class ProjectRecommendation:
    category: str  # security controls | tests | observability
    title: str
    status: str  # todo | in place | check
    evidence: str
    action: str = ""
    code: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"category": self.category, "title": self.title, "status": self.status, "evidence": self.evidence, "action": self.action, "code": self.code}


@dataclass(frozen=True, slots=True)
class Guidance:
    groups: tuple[FamilyGroup, ...]  # open findings, ranked
    recommendations: tuple[tuple[FamilyGroup, RuleGroup, tuple[Recommendation, ...]], ...]
    project: tuple[ProjectRecommendation, ...]


@dataclass
class GuidanceContext:
    root: Path
    index: ProjectIndex
    scope: Scope
    inventory: InventoryContext
    context: ContextSelection
    findings: tuple[Finding, ...]  # open findings
    catalog: Mapping[str, RuleMeta]

    def docs_for(self, family: str) -> tuple[str, ...]:
        return tuple(d.ref for d in self.context.for_family(family))


FindingWriter = Callable[[RuleGroup, GuidanceContext], list[Recommendation]]
WRITERS: dict[str, FindingWriter] = {}
CATEGORIES = ("security controls", "tests", "observability")


def register_writer(*keys: str) -> Callable[[FindingWriter], FindingWriter]:
    """Register a writer for rule codes (`DJV302`) or family digits (`3`); a code wins over its family."""

    def register(writer: FindingWriter) -> FindingWriter:
        for key in keys:
            WRITERS[key] = writer
        return writer

    return register


@lru_cache(maxsize=1)
def load_writers() -> dict[str, FindingWriter]:
    import djvet.review.writers as package

    for module in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
    return dict(WRITERS)


def writer_for(code: str) -> FindingWriter:
    writers = load_writers()
    return writers.get(code) or writers.get(code[3]) or default_writer


def first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n", 1)[0].split())


def default_writer(group: RuleGroup, ctx: GuidanceContext) -> list[Recommendation]:
    """One recommendation for the rule: its fix title (or summary), why, and the catalog's
    `use_instead` as the pattern."""
    meta = group.meta
    titles = sorted({f.fix_title for f in group.findings if f.fix_title})
    fixable = all(f.fixable for f in group.findings)
    if titles:
        what = "Apply the change named for each place below" if len(titles) > 1 else titles[0]
    else:
        what = f"{meta.summary}; the pattern below shows the fix"
    what += "."
    if fixable:
        what += " `djvet fix` applies it" + (" (an unsafe fix: `--unsafe-fixes`; review the diff)" if meta.fix and meta.fix.safety == "unsafe" else "") + "."
    return [
        Recommendation(
            title=f"`{meta.name}`",
            code=meta.code,
            severity=meta.severity,
            what=what,
            findings=group.findings,
            pattern=meta.docs.use_instead.rstrip() + "\n",
            why=first_paragraph(meta.docs.why),
            docs=ctx.docs_for(meta.family),
            fixable=fixable,
        )
    ]


def rank_findings(findings: Sequence[Finding], catalog: Mapping[str, RuleMeta], goal: str | None) -> tuple[FamilyGroup, ...]:
    by_code: dict[str, list[Finding]] = {}
    for finding in findings:
        by_code.setdefault(finding.code, []).append(finding)
    families: dict[str, list[RuleGroup]] = {}
    for code, items in by_code.items():
        meta = catalog[code]
        families.setdefault(meta.family, []).append(RuleGroup(meta, tuple(sorted(items, key=Finding.sort_key))))
    groups = []
    for family, rules in families.items():
        rules.sort(key=lambda r: (SEVERITY_RANK[r.meta.severity], CONFIDENCE_RANK[r.meta.confidence], -len(r.findings), r.code))
        groups.append(FamilyGroup(family, FAMILIES.get(family, family), tuple(rules)))
    order = family_order(goal)
    if order:
        groups.sort(key=lambda g: (order.index(g.family) if g.family in order else len(order), g.family))
    else:
        groups.sort(key=lambda g: (min(SEVERITY_RANK[r.meta.severity] for r in g.rules), -g.count, g.family))
    return tuple(groups)


def top_risks(groups: Sequence[FamilyGroup], limit: int = 3) -> list[tuple[RuleGroup, Finding]]:
    """The worst findings: the first finding of each rule in the ranking, by severity first; then
    second findings, and so on."""
    ranked = []
    for family_position, group in enumerate(groups):
        for rule_position, rule in enumerate(group.rules):
            for number, finding in enumerate(rule.findings):
                key = (number, SEVERITY_RANK[finding.severity], family_position, rule_position)
                ranked.append((key, rule, finding))
    ranked.sort(key=lambda r: r[0])
    return [(rule, finding) for _, rule, finding in ranked[:limit]]


class GuidanceStep:
    number = 5
    name = "guidance"
    title = "Guidance"

    def run(self, state: ReviewState) -> StepResult:
        from djvet.review.advisors import ADVISORS

        scope, analysis, project, context = state.scope, state.analysis, state.project, state.context
        assert scope is not None and analysis is not None and project is not None and context is not None
        open_findings = analysis.changes.open
        groups = rank_findings(open_findings, project.catalog, scope.goal.value)
        from djvet.review.scope import settings_in_force

        inventory = state.extra.get("inventory")
        if not isinstance(inventory, InventoryContext):
            inventory = InventoryContext(project.root, project.index, scope, settings_in_force(project, scope), analysis.findings)
        ctx = GuidanceContext(project.root, project.index, scope, inventory, context, open_findings, project.catalog)
        recommendations = []
        for group in groups:
            for rule in group.rules:
                recommendations.append((group, rule, tuple(writer_for(rule.code)(rule, ctx))))
        advice: list[ProjectRecommendation] = []
        for advisor in ADVISORS:
            advice.extend(advisor(ctx))
        advice.sort(key=lambda r: (CATEGORIES.index(r.category), r.status != "todo", r.status != "check", r.title))
        state.guidance = Guidance(groups, tuple(recommendations), tuple(advice))
        count = sum(len(r) for _, _, r in recommendations)
        patches = sum(1 for _, _, items in recommendations for r in items if r.patch)
        todo = {c: sum(1 for a in advice if a.category == c and a.status != "in place") for c in CATEGORIES}
        return StepResult(
            f"{count} recommendations for {len(open_findings)} open findings ({patches} with a patch); project level: "
            + ", ".join(f"{todo[c]} on {c}" for c in CATEGORIES),
        )
