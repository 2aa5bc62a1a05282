"""Refreshing the stored outputs of the course's chapters.

A chapter is a MyST Markdown source (``chapters/NN-name.md``, what authors edit) paired by
jupytext with a notebook (``chapters/NN-name.ipynb``, which keeps the outputs nbval
compares). ``python -m kitlib.notebooks chapters/05-*.md`` (or the ``.ipynb``) brings each
notebook up to date with its source, re-executes it on the kit's cluster in a fresh kernel,
stores the new outputs, and syncs again so both files carry the same inputs.

``python -m kitlib.notebooks coverage`` writes README's table of which cells demonstrate
each outline id (S01–S41) on each provider, from the cells' ``kitlib`` metadata
(``--check``: only say whether the table is up to date). See docs/CONVENTIONS.md.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

from kitlib.paths import REPO_DIR

CHAPTERS_DIR = REPO_DIR / "chapters"
README = REPO_DIR / "README.md"
# The source outline's ids with a short name each (the outline itself lives outside the repo).
OUTLINE = {
    "S01": "Kubernetes orchestrates containers", "S02": "traditional deployment",
    "S03": "virtualized deployment", "S04": "container deployment", "S05": "orchestration",
    "S06": "desired vs. current state", "S07": "controllers and control loops",
    "S08": "control plane and workers; cattle", "S09": "control plane: admins only, one or several",
    "S10": "kube-apiserver", "S11": "kubectl", "S12": "etcd", "S13": "kube-scheduler",
    "S14": "kube-controller-manager", "S15": "node controller", "S16": "replication controller",
    "S17": "endpoints controller", "S18": "service account and token controllers",
    "S19": "cloud-controller-manager", "S20": "kubelet", "S21": "kube-proxy", "S22": "container runtime",
    "S23": "isolated, portable environment", "S24": "resource management across servers",
    "S25": "service discovery and load balancing", "S26": "storage orchestration",
    "S27": "rollouts and rollbacks", "S28": "fault containment", "S29": "self-healing",
    "S30": "automatic placement", "S31": "the Pod", "S32": "containers of a pod; initContainers",
    "S33": "one node, one lifecycle", "S34": "an IP per pod", "S35": "shared IP, localhost",
    "S36": "shared volumes", "S37": "YAML manifests", "S38": "an nginx Pod",
    "S39": "creating from a manifest file", "S40": "kubectl run --dry-run=client -o yaml",
    "S41": "the API is declarative",
}
# What a tagged cell shows of its ids on a provider: ``kitlib: {kind: …, docker_free: …}``.
# kind defaults to "real"; docker_free defaults to what kind shows.
SHOWN_AS = {
    "real": "it happens for real",
    "simulated": "KWOK stands in: no container processes, pod network or logs",
    "partial": "part of it is real; the rest is skipped, and the cell says which",
    "skipped": "not shown there; the cell says why",
    "absent": "shown only by its absence (the component does not run there)",
}
PROVIDERS = {"kind": "on kind", "docker_free": "on the Docker-free provider"}
NOT_RUN = {"nbval-skip", "raises-exception"}
TABLE_START, TABLE_END = "<!-- coverage-table:start -->", "<!-- coverage-table:end -->"
_ID = re.compile(r"\bS\d\d\b")


def sync(path: str | Path) -> None:
    """``jupytext --sync``: the newer of the pair gives the inputs, the .ipynb its outputs."""
    from jupytext.cli import jupytext as jupytext_cli
    jupytext_cli(["--sync", "--quiet", str(path)])


def execute(path: str | Path, timeout: int = 900) -> None:
    """Run a notebook top to bottom in a fresh kernel and store its outputs in place."""
    from nbclient import NotebookClient
    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, str(path))


def refresh(path: str | Path) -> None:
    notebook = Path(path).with_suffix(".ipynb")
    sync(Path(path).with_suffix(".md"))      # the author's latest edits first
    execute(notebook)
    sync(notebook)                           # inputs unchanged; the .md is touched, not older


def chapters() -> list[Path]:
    return sorted(CHAPTERS_DIR.glob("*.ipynb"))


def covers(nb) -> set[str]:
    """The ids of the first cell's ``Covers:`` line."""
    line = next((ln for ln in nb.cells[0].source.splitlines() if ln.strip().startswith("Covers:")), "")
    return set(_ID.findall(line))


def shows(cell) -> list[str]:
    return list(cell.metadata.get("kitlib", {}).get("shows", []))


def shown_as(cell, provider: str) -> str:
    meta = cell.metadata.get("kitlib", {})
    kind = meta.get("kind", "real")
    return kind if provider == "kind" else meta.get(provider, kind)


def problems(nb) -> list[str]:
    """Why a chapter's tags do not prove what they claim (empty when they do): every tagged
    cell is a code cell that ran on kind — stored outputs, no error — and is not skipped by
    nbval; its ids are outline ids named in the Covers line, and every id there is tagged."""
    found, tagged = [], set()
    code_no = 0
    for cell in nb.cells:
        code_no += cell.cell_type == "code"
        ids = shows(cell)
        if not ids:
            continue
        where = f"code cell {code_no}" if cell.cell_type == "code" else f"markdown cell {cell.get('id')}"
        tagged |= set(ids)
        if cell.cell_type != "code":
            found.append(f"{where} is tagged {ids} but is not a code cell")
            continue
        if not cell.outputs:
            found.append(f"{where} shows {ids} but has no stored output")
        if any(o.output_type == "error" for o in cell.outputs):
            found.append(f"{where} shows {ids} but its stored output is an error")
        if NOT_RUN & set(cell.metadata.get("tags", [])):
            found.append(f"{where} shows {ids} but is tagged {sorted(NOT_RUN & set(cell.metadata['tags']))}")
        for provider in PROVIDERS:
            if shown_as(cell, provider) not in SHOWN_AS:
                found.append(f"{where}: {provider} {shown_as(cell, provider)!r} is not one of {list(SHOWN_AS)}")
        for unknown in sorted(set(ids) - set(OUTLINE)):
            found.append(f"{where} shows {unknown}, which is not an outline id")
        for uncited in sorted(set(ids) & set(OUTLINE) - covers(nb)):
            found.append(f"{where} shows {uncited}, which the Covers line does not name")
    for untagged in sorted(covers(nb) - tagged):
        found.append(f"the Covers line names {untagged}, which no cell is tagged to show")
    return found


def untagged(notebooks) -> list[str]:
    """Outline ids that no cell of these notebooks is tagged to show."""
    tagged = {i for nb in notebooks for cell in nb.cells for i in shows(cell)}
    return [i for i in OUTLINE if i not in tagged]


def coverage_rows(paths) -> list[dict]:
    """One row per outline id and chapter that shows it: which code cells, as what, per provider."""
    rows = {}
    for path in paths:
        nb = nbformat.read(str(path), as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        for no, cell in enumerate(code, 1):
            for i in shows(cell):
                row = rows.setdefault((i, path.stem), {p: {} for p in PROVIDERS})
                for provider in PROVIDERS:
                    row[provider].setdefault(shown_as(cell, provider), []).append(no)

    def say(cells: dict) -> str:
        return "; ".join(f"{how} (cell{'s' if len(nos) > 1 else ''} {', '.join(map(str, nos))})"
                         for how, nos in cells.items())
    return [{"id": i, "concept": OUTLINE.get(i, "?"), "chapter": chapter,
             **{label: say(row[p]) for p, label in PROVIDERS.items()}}
            for (i, chapter), row in sorted(rows.items())]


def coverage_table(paths) -> str:
    rows = coverage_rows(paths)
    head = ["id", "concept", "chapter", *PROVIDERS.values()]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join([r["id"], r["concept"], f"`{r['chapter']}`", *(r[h] for h in head[3:])]) + " |"
              for r in rows]
    return "\n".join(lines)


def with_table(text: str, table: str) -> str:
    """``text`` with ``table`` between the coverage-table markers (ValueError without them)."""
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"README has no {TABLE_START} ... {TABLE_END} block")
    return text[:start + len(TABLE_START)] + "\n" + table + "\n" + text[end:]


def coverage(check: bool = False) -> int:
    """Write README's coverage table (check=True: exit status 1 when it is out of date)."""
    text = README.read_text()
    new = with_table(text, coverage_table(chapters()))
    if new == text:
        print("README's coverage table is up to date")
        return 0
    if check:
        print("README's coverage table is out of date: run python -m kitlib.notebooks coverage")
        return 1
    README.write_text(new)
    print("wrote README's coverage table")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["coverage"]:
        sys.exit(coverage(check="--check" in sys.argv[2:]))
    from kitlib import cluster
    cluster.up()
    for arg in sys.argv[1:]:
        print(f"refreshing {arg}", flush=True)
        refresh(arg)
