"""A learner's workspace: student copies of the chapters (solutions stubbed, hidden tests
removed, outputs cleared: what ``kit release`` makes), kept outside the tracked sources.

The workspace belongs to the learner. ``sync`` adds chapters that are new and never
overwrites one that exists; a chapter whose source changed since its copy was made is
reported, and ``fresh`` puts a new copy in place with the learner's one kept beside it.
``reset`` puts one exercise cell back to its starting state and leaves the rest alone.

    ws = Workspace(Path("workspace"), Path("chapters"))
    ws.sync()                        # SyncResult(added=[...], changed=[...], kept=[...])
    ws.fresh("06-controller-exercise")
    ws.reset("06-controller-exercise", "reconcile")
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from kitlib.grading import nbmeta as m
from kitlib.grading.release import release_notebook

MANIFEST = ".kit-workspace.json"     # chapter file -> digest of the copy it was made from
BACKUPS = ".backups"                 # a notebook's state before a reset


class WorkspaceError(Exception):
    """Something a learner asked for that the workspace cannot do (one line, what to do)."""


@dataclass
class SyncResult:
    added: list[str] = field(default_factory=list)     # new chapters copied in
    changed: list[str] = field(default_factory=list)   # source changed since the copy was made
    kept: list[str] = field(default_factory=list)      # present and current


def digest(nb: nbformat.NotebookNode) -> str:
    """What a student copy consists of (cell types, sources, metadata), not its outputs."""
    cells = [[c.cell_type, c.source, c.get("metadata", {})] for c in nb.cells]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()[:16]


class Workspace:
    def __init__(self, root: Path, sources: Path):
        self.root, self.sources = Path(root), Path(sources)

    # ------------------------------------------------------------ what exists
    def chapters(self) -> list[Path]:
        """The source chapters, in course order."""
        found = sorted(self.sources.glob("[0-9][0-9]-*.ipynb"))
        if not found:
            raise WorkspaceError(f"no chapters (NN-name.ipynb) in {self.sources}")
        return found

    def source_of(self, chapter: str) -> Path:
        name = chapter if chapter.endswith(".ipynb") else f"{chapter}.ipynb"
        matches = [p for p in self.chapters() if p.name == name or p.name.startswith(f"{chapter}-")]
        if len(matches) != 1:
            known = ", ".join(p.stem for p in self.chapters())
            raise WorkspaceError(f"no single chapter {chapter!r}; the chapters are: {known}")
        return matches[0]

    def student_copy(self, source: Path) -> nbformat.NotebookNode:
        return release_notebook(m.read(source))

    # ------------------------------------------------------------ manifest
    def _manifest(self) -> dict:
        path = self.root / MANIFEST
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise WorkspaceError(f"{path} is unreadable ({exc}); move it away and run again") from exc

    def _save_manifest(self, manifest: dict) -> None:
        tmp = self.root / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        tmp.replace(self.root / MANIFEST)

    # ------------------------------------------------------------ operations
    def sync(self) -> SyncResult:
        """Add what is new; never overwrite what the learner has."""
        self.root.mkdir(parents=True, exist_ok=True)
        manifest, result = self._manifest(), SyncResult()
        for source in self.chapters():
            student = self.student_copy(source)
            current = digest(student)
            target = self.root / source.name
            self._copy_support(source)
            if not target.exists():
                _write(student, target)
                manifest[source.name] = current
                result.added.append(source.stem)
            elif manifest.get(source.name) not in (None, current):
                result.changed.append(source.stem)
            else:
                manifest.setdefault(source.name, current)
                result.kept.append(source.stem)
        self._save_manifest(manifest)
        return result

    def fresh(self, chapter: str) -> tuple[Path, Path | None]:
        """A new copy of ``chapter``; the learner's one is renamed, never deleted.
        Returns (new copy, where the old one went)."""
        source = self.source_of(chapter)
        target = self.root / source.name
        kept = None
        if target.exists():
            kept = target.with_name(f"{source.stem}.mine-{time.strftime('%Y%m%d-%H%M%S')}.ipynb")
            target.rename(kept)
        student = self.student_copy(source)
        self.root.mkdir(parents=True, exist_ok=True)
        _write(student, target)
        self._copy_support(source)
        manifest = self._manifest()
        manifest[source.name] = digest(student)
        self._save_manifest(manifest)
        return target, kept

    def reset(self, chapter: str, grade_id: str) -> Path:
        """Put the cell ``grade_id`` of the learner's ``chapter`` back to its starting
        state (the old notebook is saved under .backups/). Returns the backup's path."""
        source = self.source_of(chapter)
        target = self.root / source.name
        if not target.exists():
            raise WorkspaceError(f"{target} does not exist: run `kit workspace` to create it")
        released = self.student_copy(source)
        starting = m.by_grade_id(released)
        if grade_id not in starting:
            ids = ", ".join(g for g, c in starting.items() if m.is_solution(c)) or "none"
            raise WorkspaceError(f"{source.stem} has no exercise {grade_id!r}; its exercises: {ids}")
        try:
            mine = m.read(target)
        except Exception as exc:
            raise WorkspaceError(f"{target} is not a readable notebook ({exc}); "
                                 f"`kit workspace --fresh {source.stem}` gives a new copy") from exc
        backup = self.root / BACKUPS / f"{source.stem}-{time.strftime('%Y%m%d-%H%M%S')}.ipynb"
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, backup)
        cells = [c for c in mine.cells if m.grade_id(c) == grade_id]
        if cells:
            cell = cells[0]
            cell.source = starting[grade_id].source
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        else:                    # the learner deleted it: put it back after its neighbour
            original = released.cells
            at = [m.grade_id(c) for c in original].index(grade_id)
            before = original[at - 1].get("id") if at else None
            ids = [c.get("id") for c in mine.cells]
            mine.cells.insert(ids.index(before) + 1 if before in ids else min(at, len(ids)),
                              starting[grade_id])
        _write(mine, target)
        return backup

    def _copy_support(self, source: Path) -> None:
        """A chapter's supporting folder (manifests, images), file by file, never
        overwriting what is there."""
        support = source.with_suffix("")
        if not support.is_dir():
            return
        for path in support.rglob("*"):
            target = self.root / support.name / path.relative_to(support)
            if path.is_file() and not target.exists() and "__pycache__" not in path.parts:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)


def _write(nb: nbformat.NotebookNode, target: Path) -> None:
    tmp = target.with_name(target.name + ".tmp")
    nbformat.write(nb, str(tmp))
    tmp.replace(target)
