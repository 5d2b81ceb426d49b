"""Render the review report (docs/output-conventions.md is the contract)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from djvet import __version__
from djvet.finding import Finding
from djvet.review.base import GOALS, ReviewState
from djvet.review.guidance import CATEGORIES, ProjectRecommendation, Recommendation, top_risks
from djvet.review.markdown import fence, plural, relative_link, table

MAX_PLACES = 20  # findings listed under one recommendation; the Findings section lists all
PACKAGE_TITLES = {"django": "Django", "djangorestframework": "Django REST framework"}


class ReportWriter:
    def __init__(self, state: ReviewState, report_dir: Path, report: Path | None, memory_folder: Path) -> None:
        self.state = state
        self.report_dir = report_dir
        self.report = report
        self.memory_folder = memory_folder
        self.root = state.require_root()
        self.lines: list[str] = []

    # -- helpers --------------------------------------------------------------------------------

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def link(self, rel: str, line: int | None = None) -> str:
        target = relative_link(self.root / rel, self.report_dir)
        shown = f"{rel}:{line}" if line else rel
        return f"[{shown}]({target}{f'#L{line}' if line else ''})"

    def finding_link(self, finding: Finding) -> str:
        return self.link(finding.path, finding.line)

    def location(self, text: str) -> str:
        """`path:line` in inventory cells and evidence as a link."""
        path, _, line = text.rpartition(":")
        if path and line.isdigit() and (self.root / path).is_file():
            return self.link(path, int(line))
        return text

    # -- the report -----------------------------------------------------------------------------

    def render(self) -> str:
        for part in (
            self.title, self.metadata, self.summary, self.scope, self.plan, self.context, self.findings,
            self.guidance, self.inventory, self.changes, self.questions, self.checklist, self.footer,
        ):
            part()
        text = "\n".join(self.lines).rstrip("\n") + "\n"
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
        return text

    def title(self) -> None:
        self.add(f"# Django review: {self.state.project_name} ({self.state.today.isoformat()})", "")

    def metadata(self) -> None:
        state, scope, analysis = self.state, self.state.scope, self.state.analysis
        assert scope is not None and analysis is not None and state.memory is not None
        previous = analysis.changes.previous
        if previous is None:
            last = "none in memory"
        elif previous.report:
            last = f"{previous.date}, [report]({relative_link(self.root / previous.report, self.report_dir)})"
        else:
            last = previous.date
        goal = f"`{scope.goal.value}` ({scope.goal.reason})" if scope.goal.value else "not given (see open questions)"
        seconds = state.clock.monotonic() - state.started
        rows = [
            ("Project", f"`{scope.project}` ([root]({relative_link(self.root, self.report_dir)}/))"),
            ("Date", state.today.isoformat()),
            ("Goal", goal),
            ("Django", scope.django.display),
            ("DRF", scope.drf.display if scope.drf_used else "not used"),
            ("Project type", scope.project_type),
            ("Settings analyzed", f"`{analysis.settings_module}`" if analysis.settings_module else "none"),
            ("Files analyzed", f"{analysis.files} ({len(analysis.errors)} could not be analyzed)"),
            ("Previous review", last),
            ("Memory", f"[`{relative_link(self.memory_folder, self.report_dir)}`]({relative_link(self.memory_folder, self.report_dir)}/)"),
            ("djvet", __version__),
            ("Duration", f"{seconds:.2f} s"),
        ]
        self.add(*table(("item", "value"), rows, None), "")

    def summary(self) -> None:
        state, analysis, guidance = self.state, self.state.analysis, self.state.guidance
        assert analysis is not None and guidance is not None
        changes = analysis.changes
        counts = {s: sum(1 for f in changes.open if f.severity == s) for s in ("error", "warning", "info")}
        self.add("## Executive summary", "")
        self.add(
            f"- **{plural(len(changes.open), 'open finding')}**: {counts['error']} error, {counts['warning']} warning, "
            f"{counts['info']} info; {plural(len(changes.accepted), 'accepted risk')}."
        )
        if changes.previous is None:
            self.add("- **Since the last review**: this is the first review in memory, so every finding is new.")
        else:
            self.add(
                f"- **Since the last review** ({changes.previous.date}): {len(changes.new)} new, {len(changes.fixed)} fixed, "
                f"{len(changes.still_open)} still open" + (f", {len(changes.expired)} acceptances expired" if changes.expired else "") + "."
            )
        risks = top_risks(guidance.groups)
        if risks:
            self.add("- **Top risks**:")
            for number, (rule, finding) in enumerate(risks, 1):
                self.add(f"  {number}. {rule.code} `{rule.meta.name}` ({finding.severity}): {finding.message} ({self.finding_link(finding)})")
        else:
            self.add("- **Top risks**: none among the findings; see the project recommendations.")
        todo = {c: sum(1 for a in guidance.project if a.category == c and a.status == "todo") for c in CATEGORIES}
        self.add("- **Project recommendations to act on**: " + ", ".join(f"{todo[c]} on {c}" for c in CATEGORIES) + ".")
        self.add(f"- **Open questions**: {len(state.questions)}" + (" (see [Open questions](#open-questions))." if state.questions else "."), "")

    def scope(self) -> None:
        scope = self.state.scope
        assert scope is not None
        self.add("## Scope", "", "### Versions", "")
        rows = []
        for package in (scope.django, scope.drf):
            sources = ", ".join(f"`{r.source}` (`{r.spec or 'any'}`)" for r in package.sources) or "not declared"
            rows.append((PACKAGE_TITLES[package.name], package.display + (" (files disagree)" if package.conflict else ""), sources))
        self.add(*table(("package", "version", "declared in"), rows, None), "")
        self.add(f"DRF is {'used' if scope.drf_used else 'not used'}" + (": " + "; ".join(scope.drf_evidence) if scope.drf_evidence else "") + ".", "")
        self.add("### Project type", "", f"**{scope.project_type}**: " + "; ".join(scope.type_evidence) + ".", "")
        self.add("### Deployment", "")
        points = ", ".join(
            f"{self.link(p.path)} ({p.interface.upper()}" + (f", settings `{'`, `'.join(p.settings)}`" if p.settings else "") + ")" for p in scope.entry_points
        )
        self.add(f"- Entry points: {points or 'none found'}.")
        chosen = scope.entry_point
        self.add(f"- Production entry point: `{chosen.value}` ({chosen.reason})." if chosen.value else "- Production entry point: not known (see open questions).")
        servers = [e for e in scope.deploy_files if e.kind in ("server", "development-server")]
        self.add("- Servers started by deployment files: " + (", ".join(f"`{e.server}` in {self.link(e.path, e.line)}" for e in servers) or "none found") + ".")
        files = [e for e in scope.deploy_files if e.kind not in ("server", "development-server")]
        self.add("- Containers, manifests, process files: " + (", ".join(f"{self.link(e.path)} ({e.kind})" for e in files) or "none found") + ".")
        packages = ", ".join(f"`{r.name}` (`{r.source}`)" for r in scope.server_packages)
        self.add(f"- Server packages declared: {packages or 'none'}.", "")
        self.add("### Settings modules", "")
        settings_rows = [(f"`{r.module}`", self.link(r.path), r.role, "; ".join(r.evidence) or "-") for r in scope.settings_roles]
        self.add(*(table(("module", "file", "role", "evidence"), settings_rows, None) or ["No settings module found."]), "")
        self.add(f"Production settings: {f'`{scope.production}`' if scope.production else 'not known (see open questions)'}. "
                 + (f"Analyzed: `{scope.settings.value}` ({scope.settings.reason})." if scope.settings.value else "No settings were read."), "")
        self.add("### Installed apps", "")
        if scope.installed_apps is None:
            self.add("`INSTALLED_APPS` is not known statically; project apps come from `AppConfig` classes: "
                     + (", ".join(f"`{a}`" for a in scope.project_apps) or "none") + ".", "")
        else:
            self.add(f"{len(scope.installed_apps)} apps in `INSTALLED_APPS`; project apps: " + (", ".join(f"`{a}`" for a in scope.project_apps) or "none")
                     + ". The inventory lists the others.", "")
        self.add("### Goal", "")
        if scope.goal.value:
            self.add(f"`{scope.goal.value}` ({scope.goal.reason}): it orders the findings, the guidance and the choice of guidance documents.", "")
        else:
            self.add(f"Not given: findings are ranked by severity. `--goal {'|'.join(GOALS)}` orders the report for one.", "")

    def plan(self) -> None:
        self.add("## Plan", "", "Written at step 1, before the analysis ran; the compliance checklist confirms each item.", "")
        rows = [(str(n), p.title, p.why) for n, p in enumerate(self.state.plan, 1)]
        self.add(*table(("#", "what", "why"), rows, None), "")

    def context(self) -> None:
        context = self.state.context
        assert context is not None
        self.add("## Context loaded", "")
        self.add(f"Budget: {plural(context.budget, 'document')}; loaded {len(context.loaded)}.", "")
        rows = [(self._doc(d.doc.ref, d.doc.path, d.doc.origin), d.doc.title, d.reason) for d in context.loaded]
        self.add(*(table(("document", "title", "why"), rows, None) or ["No guidance document matched this project."]), "")
        if context.left_out:
            self.add("Left out: " + "; ".join(f"`{d.ref}` ({why})" for d, why in context.left_out) + ".", "")

    def _doc(self, ref: str, path: Path, origin: str) -> str:
        return f"[`{ref}`]({relative_link(path, self.report_dir)})" if origin == "user" else f"`{ref}`"

    def findings(self) -> None:
        guidance, analysis = self.state.guidance, self.state.analysis
        assert guidance is not None and analysis is not None
        self.add("## Findings", "")
        if not guidance.groups:
            self.add("No open findings." + (" Accepted risks are listed under *Changes since the last review*." if analysis.changes.accepted else ""), "")
        else:
            total = sum(g.count for g in guidance.groups)
            self.add(f"{plural(total, 'open finding')} in {plural(len(guidance.groups), 'family', 'families')}, most important first.", "")
        for group in guidance.groups:
            self.add(f"### {group.name.capitalize()} (DJV{group.family}xx): {plural(group.count, 'finding')}", "")
            for rule in group.rules:
                meta = rule.meta
                self.add(f"#### {meta.code} `{meta.name}`: {meta.severity}, {meta.confidence} confidence, {plural(len(rule.findings), 'finding')}", "")
                rows = [(self.finding_link(f), f.message, f"`{f.fingerprint}`", analysis.changes.status(f)) for f in rule.findings]
                self.add(*table(("location", "message", "fingerprint", "status"), rows, None), "")
        if analysis.errors:
            self.add("### Files not analyzed", "")
            self.add(*(f"- {self.link(e.path)}: {e.message}" for e in analysis.errors), "")

    def guidance(self) -> None:
        guidance = self.state.guidance
        assert guidance is not None
        self.add("## Guidance", "", "### For the findings", "")
        number = 0
        for _, _, recommendations in guidance.recommendations:
            for recommendation in recommendations:
                number += 1
                self._recommendation(number, recommendation)
        if number == 0:
            self.add("No open findings, nothing to fix.", "")
        self.add("### Project recommendations", "")
        for category in CATEGORIES:
            items = [a for a in guidance.project if a.category == category]
            self.add(f"#### {category.capitalize()}", "")
            done = [a for a in items if a.status == "in place"]
            if done:
                self.add("In place: " + "; ".join(f"{a.title} ({a.evidence})" for a in done) + ".", "")
            for item in items:
                if item.status != "in place":
                    self._project_item(item)
            if not items:
                self.add("Nothing to add.", "")

    def _recommendation(self, number: int, item: Recommendation) -> None:
        self.add(f"#### {number}. {item.title} ({item.code}, {item.severity})", "", item.what, "")
        self.add("Where:", "")
        for finding in item.findings[:MAX_PLACES]:
            self.add(f"- {self.finding_link(finding)} (`{finding.fingerprint}`): {finding.fix_title or finding.message}")
        if len(item.findings) > MAX_PLACES:
            self.add(f"- … and {len(item.findings) - MAX_PLACES} more, listed under Findings")
        self.add("")
        if item.patch:
            self.add(*fence(item.patch, "diff"), "")
        elif item.pattern:
            self.add("The pattern:", "", *fence(item.pattern, "python"), "")
        if item.why:
            self.add(f"Why: {item.why}", "")
        if item.docs:
            self.add("Further reading: " + ", ".join(f"`{d}`" for d in item.docs) + ".", "")

    def _project_item(self, item: ProjectRecommendation) -> None:
        label = "To do" if item.status == "todo" else "Check"
        self.add(f"**{label}: {item.title}.** Found: {item.evidence}." + (f" {item.action}" if item.action else ""), "")
        if item.code:
            self.add(*fence(item.code, "python"), "")

    def inventory(self) -> None:
        analysis = self.state.analysis
        assert analysis is not None
        self.add("## Inventory", "")
        for section in analysis.inventory:
            self.add(f"### {section.title}", "", section.summary[0].upper() + section.summary[1:] + ".", "")
            rows = [tuple(self.location(c) for c in row) for row in section.rows]
            if rows:
                self.add(*table(section.headers, rows), "")
            if section.notes:
                self.add(*(f"- {n}" for n in section.notes), "")

    def changes(self) -> None:
        analysis, memory = self.state.analysis, self.state.memory
        assert analysis is not None and memory is not None
        changes = analysis.changes
        self.add("## Changes since the last review", "")
        if changes.previous is None:
            self.add("This is the first review in memory: every finding is new.", "")
        else:
            self.add(f"Compared with the review of {changes.previous.date}.", "")
        rows = [("new", str(len(changes.new))), ("fixed", str(len(changes.fixed))), ("still open", str(len(changes.still_open))), ("accepted", str(len(changes.accepted)))]
        self.add(*table(("change", "findings"), rows, None), "")
        if changes.fixed:
            self.add("### Fixed", "")
            self.add(*(f"- {r.code} at `{r.path}:{r.line}`: {r.message} (`{r.fingerprint}`, first seen {r.first_seen})" for r in changes.fixed), "")
        if changes.new and changes.previous is not None:
            self.add("### New", "")
            self.add(*(f"- {f.code} at {self.finding_link(f)}: {f.message} (`{f.fingerprint}`)" for f in changes.new), "")
        self.add("### Accepted risks", "")
        if changes.accepted:
            accepted = [(self.finding_link(f), f.code, a.reason, a.expires or "never", a.added or "-") for f, a in changes.accepted]
            self.add(*table(("finding", "rule", "reason", "expires", "accepted on"), accepted, None), "")
        else:
            self.add("None. Accept one with `djvet review --accept FINGERPRINT --reason \"...\" [--expires YYYY-MM-DD]`.", "")
        if changes.expired:
            self.add(*(f"- Acceptance expired on {a.expires}: {f.code} at {self.finding_link(f)} (reason was: {a.reason}); the finding is open again." for f, a in changes.expired), "")
        if changes.unmatched:
            self.add(*(f"- Accepted risk `{a.fingerprint}` ({a.code or 'rule unknown'}) matches no finding any more; remove it from `state.json` when it is fixed." for a in changes.unmatched), "")
        self.add("### Decisions", "")
        decisions = list(memory.applied_decisions)
        decisions += [f"recorded now: {topic} `{value}`" for topic, value in self._new_decisions()]
        others = [d for d in memory.own.state.decisions if d.topic not in ("goal", "settings", "entry-point")]
        decisions += [f"{d.topic}: {d.decision}" + (f" ({d.date})" if d.date else "") for d in others]
        self.add(*(f"- {d}" for d in decisions) if decisions else ["None recorded."], "")
        if memory.others:
            self.add("### Memory of other skills (reference only)", "")
            self.add(*(f"- `{m.skill}`: " + (", ".join(f"`{n}.md`" for n in sorted(m.notes)) or "no notes") for m in memory.others), "")

    def _new_decisions(self) -> list[tuple[str, str]]:
        scope = self.state.scope
        assert scope is not None
        return [(topic, choice.value) for topic, choice in (("goal", scope.goal), ("settings", scope.settings), ("entry-point", scope.entry_point)) if choice.source == "flag" and choice.value]

    def questions(self) -> None:
        self.add("## Open questions", "")
        if not self.state.questions:
            self.add("None: everything the review needed was settled.", "")
            return
        for number, question in enumerate(self.state.questions, 1):
            self.add(f"{number}. **{question.topic}**: {question.question} Meanwhile: {question.meanwhile}. Settle with {question.settle}.")
        self.add("")

    def checklist(self) -> None:
        self.add("## Compliance checklist", "", "Every step ran, in order:", "")
        rows = [
            (f"{r.number}. {r.title}", "✓", r.result.summary, "—" if r.seconds is None else f"{r.seconds:.2f} s")
            for r in self.state.checklist
        ]
        self.add(*table(("step", "done", "produced", "time"), rows, None), "")

    def footer(self) -> None:
        memory = relative_link(self.memory_folder, self.report_dir)
        self.add("---", "", f"Generated by djvet {__version__} with `djvet review`. The next review starts from the memory in [`{memory}`]({memory}/).")


def render_report(state: ReviewState, report_dir: Path, report: Path | None, memory_folder: Path) -> str:
    return ReportWriter(state, report_dir, report, memory_folder).render()


def checklist_rows(state: ReviewState) -> Sequence[dict[str, object]]:
    return [
        {"step": r.number, "name": r.name, "title": r.title, "done": True, "produced": r.result.summary, "details": list(r.result.details), "seconds": r.seconds}
        for r in state.checklist
    ]
