"""Feedback for one graded submission, in Markdown or HTML.

What the learner sees: the score, each question's points and status, the lines of their
public checks, one line for what went wrong, and notes on edited or deleted cells. Hidden
checks count, but only how many of them passed is said: never their code, names, messages
or output — not even the learner's own error message, which could echo their inputs.
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING

from kitlib.grading.score import MANUAL, TestResult

if TYPE_CHECKING:
    from kitlib.grading.report import SubmissionReport

HIDDEN_SAY = "hidden checks: {state} (which ones is withheld until the assignment closes)"


def _fmt(x: float) -> str:
    return f"{x:g}"


def _summary_lines(summary: dict, show_hidden_cases: bool = False) -> list[str]:
    lines = [f"{summary.get('title', 'checks')}: {_fmt(summary.get('points', 0))}/"
             f"{_fmt(summary.get('max_points', 0))} points"]
    for r in summary.get("results", []):
        mark = "✔" if r.get("passed") else "✘"
        pts = f"{_fmt(r.get('points', 0))}/{_fmt(r.get('max_points', 0))}"
        if r.get("hidden") and not show_hidden_cases:
            lines.append(f"  {mark} (hidden case) {pts}")
            continue
        line = f"  {mark} {r.get('name', '')} {pts}"
        if not r.get("passed") and r.get("message"):
            line += f" — {r['message']}"
        lines.append(line)
    return lines


def hidden_state(parts) -> str | None:
    """"3 of 4 passed", "not run"... for the hidden checks of one question (None: it has none).
    A hidden check is a case marked hidden (in any part's summary, e.g. cases a hidden block
    added to a public run), a case of a hidden part, or a hidden part's own assertions."""
    hidden = [p for p in parts if p.hidden]
    cases = [r for p in parts for s in p.summaries for r in s.get("results", [])
             if p.hidden or r.get("hidden")]
    if not hidden and not cases:
        return None
    passed, total = sum(1 for r in cases if r.get("passed")), len(cases)
    for part in hidden:
        if part.status in ("not-run", "skipped"):
            continue
        own = [r for s in part.summaries for r in s.get("results", [])]
        if not own and cases and part.status == "ok":
            continue                        # it only added cases, counted where they ran
        if not own or (part.status != "ok" and all(r.get("passed") for r in own)):
            total, passed = total + 1, passed + (part.status == "ok")   # its own asserts
    if total == 0:
        why = "a check before them failed" if any(p.status == "skipped" for p in hidden) else ""
        return "not run" + (f", because {why}" if why else "")
    return f"{passed} of {total} passed"


def question_lines(result: TestResult) -> tuple[list[str], list[str]]:
    """(check lines, remarks) for one question, hidden details left out."""
    checks, remarks = [], []
    for part in result.parts:
        if part.hidden:
            continue
        for summary in part.summaries:
            checks.extend(_summary_lines(summary))
        if part.status not in ("ok", "skipped") and part.error:
            explained = part.summaries and part.status == "error" and any(
                s.get("points", 0) < s.get("max_points", 0) for s in part.summaries)
            if not explained:
                remarks.append(part.error)
    state = hidden_state(result.parts)
    if state:
        remarks.append(HIDDEN_SAY.format(state=state))
    if result.status == MANUAL:
        remarks.append("graded by hand")
    return checks, remarks


def render_markdown(report: SubmissionReport) -> str:
    out = [f"# Feedback: {report.notebook}", "",
           f"Student: **{report.student}**  ", f"Score: **{_fmt(report.points)} / "
           f"{_fmt(report.max_points)}**", ""]
    if report.run_message:
        out += [f"> **Execution stopped:** {report.run_message}", ""]
    if report.error:
        out += [f"> **Not graded:** {report.error}", ""]
    if report.tests:
        out += ["| question | points | result |", "|---|---|---|"]
        for t in report.tests:
            out.append(f"| {t.grade_id} | {_fmt(t.points)} / {_fmt(t.max_points)} | {t.status} |")
        out.append("")
    for t in report.tests:
        checks, remarks = question_lines(t)
        out += [f"## {t.grade_id}: {_fmt(t.points)} / {_fmt(t.max_points)} ({t.status})", ""]
        if checks:
            out += ["```", *checks, "```", ""]
        out += [f"- {r}" for r in remarks]
        if remarks:
            out.append("")
    if report.problems:
        out += ["## Errors in your answer cells", ""]
        out += [f"- `{p.grade_id}`: {p.message}" for p in report.problems]
        out.append("")
    if report.notes:
        out += ["## Changes to protected cells", ""]
        out += [f"- {n.message}" for n in report.notes]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_html(report: SubmissionReport) -> str:
    e = lambda s: html.escape(str(s))
    body = [f"<h1>Feedback: {e(report.notebook)}</h1>",
            f"<p>Student: <b>{e(report.student)}</b><br>Score: <b>{_fmt(report.points)} / "
            f"{_fmt(report.max_points)}</b></p>"]
    if report.run_message:
        body.append(f"<p><b>Execution stopped:</b> {e(report.run_message)}</p>")
    if report.error:
        body.append(f"<p><b>Not graded:</b> {e(report.error)}</p>")
    if report.tests:
        rows = "".join(f"<tr><td>{e(t.grade_id)}</td><td>{_fmt(t.points)} / {_fmt(t.max_points)}</td>"
                       f"<td class='{e(t.status.replace(' ', '-'))}'>{e(t.status)}</td></tr>"
                       for t in report.tests)
        body.append(f"<table><tr><th>question</th><th>points</th><th>result</th></tr>{rows}</table>")
    for t in report.tests:
        checks, remarks = question_lines(t)
        body.append(f"<h2>{e(t.grade_id)}: {_fmt(t.points)} / {_fmt(t.max_points)} ({e(t.status)})</h2>")
        if checks:
            body.append("<pre>" + e("\n".join(checks)) + "</pre>")
        if remarks:
            body.append("<ul>" + "".join(f"<li>{e(r)}</li>" for r in remarks) + "</ul>")
    if report.problems:
        body.append("<h2>Errors in your answer cells</h2><ul>" + "".join(
            f"<li><code>{e(p.grade_id)}</code>: {e(p.message)}</li>" for p in report.problems) + "</ul>")
    if report.notes:
        body.append("<h2>Changes to protected cells</h2><ul>" + "".join(
            f"<li>{e(n.message)}</li>" for n in report.notes) + "</ul>")
    style = ("body{font-family:sans-serif;max-width:50em;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:.3em .6em}.passed{color:#070}.failed,.not-run{color:#a00}"
             ".partial{color:#a60}pre{background:#f6f6f6;padding:.6em}")
    return ("<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Feedback: "
            f"{e(report.notebook)}</title><style>{style}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def render(report: SubmissionReport, fmt: str = "md") -> str:
    return render_html(report) if fmt == "html" else render_markdown(report)
