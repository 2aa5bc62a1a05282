"""Progressive hints for a question: each one opens only after the one before it, so a
learner takes as little help as they need. Plain HTML (``<details>``), so it works in any
Jupyter front end, needs no kernel state, and prints the same every run.

    from kitlib.learner.hints import hints
    hints("Q1", "Where does a cordon show on a Node?", "Which taint stands for it?")
"""
from __future__ import annotations

from html import escape

STYLE = "margin:.3em 0 .3em 1em"


def render(question: str, texts: tuple[str, ...]) -> str:
    """Nested <details>: hint n+1 sits inside hint n."""
    html = ""
    for number in range(len(texts), 0, -1):
        more = " (open it, then the next)" if number < len(texts) else ""
        html = (f'<details style="{STYLE}"><summary>{escape(question)} · hint {number} of '
                f'{len(texts)}{more}</summary><p>{escape(texts[number - 1])}</p>{html}</details>')
    return html


def hints(question: str, *texts: str) -> None:
    if not texts:
        raise ValueError("hints() needs at least one hint")
    from IPython.display import display
    display({"text/html": render(question, texts),
             "text/plain": f"{question}: {len(texts)} hints, each opens after the one before"},
            raw=True)
