"""Formative questions: auto-checked, never graded (no nbgrader metadata, no points).

A question has a few options; the right one explains why it is right, and every distractor
explains the misconception behind it, in one line. In a front end with ipywidgets the
question is a choice widget with a "Check" button; anywhere else (plain kernels, nbconvert,
a terminal) the same question prints as text and is answered with ``answer(qid, letter)``.

    from kitlib.learner import quiz
    quiz.ask("03.1", "Which component writes to etcd?", {
        "kube-apiserver": "Right: it is the only component that talks to etcd.",
        "kube-scheduler": "No: the scheduler only writes a pod's binding, through the API.",
    }, answer="kube-apiserver")
    quiz.answer("03.1", "a")        # without widgets

``predict(...)`` is the same question asked *before* a cell that shows the answer on the
live cluster. The text a question shows is the same on every run (no shuffling, no ids),
so nbval can compare a chapter's stored outputs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from string import ascii_lowercase

ASK, PREDICT = "Quick check", "Predict, then run"


@dataclass(frozen=True)
class Feedback:
    correct: bool
    choice: str          # the option's text
    text: str            # one line: right/wrong and why

    def __str__(self) -> str:
        return self.text


@dataclass
class Question:
    qid: str
    prompt: str
    options: dict[str, str]          # option text -> one-line explanation
    answer: str                      # the right option's text
    kind: str = ASK
    letters: list[str] = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.qid, str) or not self.qid.strip():
            raise ValueError("a question needs an id, e.g. '03.1'")
        if not isinstance(self.options, dict) or len(self.options) < 2:
            raise ValueError(f"question {self.qid}: give at least two options "
                             "(a dict: option text -> one-line explanation)")
        if len(self.options) > len(ascii_lowercase):
            raise ValueError(f"question {self.qid}: too many options")
        for text, why in self.options.items():
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"question {self.qid}: every option needs a text")
            if not isinstance(why, str) or not why.strip():
                raise ValueError(f"question {self.qid}: option {text!r} needs a one-line explanation")
            if "\n" in why.strip():
                raise ValueError(f"question {self.qid}: option {text!r}: keep the explanation to one line")
        if self.answer not in self.options:
            raise ValueError(f"question {self.qid}: the answer {self.answer!r} is not one of the "
                             f"options {list(self.options)}")
        self.letters = list(ascii_lowercase[:len(self.options)])

    def option(self, choice: str) -> str:
        """The option's text for a letter ('b') or for the option's own text."""
        if isinstance(choice, str):
            key = choice.strip()
            if key.lower() in self.letters and key not in self.options:
                return list(self.options)[self.letters.index(key.lower())]
            if key in self.options:
                return key
        raise ValueError(f"question {self.qid}: {choice!r} is not an option; answer with one of "
                         f"{', '.join(repr(x) for x in self.letters)} (or an option's text)")

    def check(self, choice: str) -> Feedback:
        text = self.option(choice)
        correct = text == self.answer
        verdict = "Right" if correct else "Not quite"
        line = f"{verdict} — {self.options[text].strip()}"
        if self.kind == PREDICT:
            line += " Now run the next cell and watch."
        return Feedback(correct, text, line)

    def as_text(self) -> str:
        lines = [f"{self.kind} {self.qid} (not graded): {self.prompt}"]
        lines += [f"  {letter}) {text}" for letter, text in zip(self.letters, self.options)]
        how = f'quiz.answer("{self.qid}", "<letter>")'
        lines.append(f"Choose an option and press Check — or, without widgets, run {how}.")
        return "\n".join(lines)


_ASKED: dict[str, Question] = {}


def _widget(question: Question):
    """The ipywidgets form, or None when ipywidgets is missing."""
    try:
        import ipywidgets as w
    except ImportError:                      # pragma: no cover - ipywidgets is a kit dependency
        return None
    from html import escape
    head = w.HTML(f"<b>{escape(question.kind)} {escape(question.qid)}</b> "
                  f"<i>(not graded)</i>: {escape(question.prompt)}")
    choices = w.RadioButtons(options=[f"{letter}) {text}" for letter, text
                                      in zip(question.letters, question.options)],
                             value=None, layout=w.Layout(width="auto"))
    button = w.Button(description="Check", button_style="primary")
    feedback = w.HTML("")

    def on_click(_):
        if choices.value is None:
            feedback.value = "<span>Choose an option first.</span>"
            return
        result = question.check(choices.value.split(")", 1)[0])
        colour = "green" if result.correct else "#b35900"
        feedback.value = f'<span style="color:{colour}">{escape(result.text)}</span>'

    button.on_click(on_click)
    return w.VBox([head, choices, w.HBox([button]), feedback])


def show(question: Question) -> None:
    """Display a question: the widget where a front end can draw it, the text otherwise.
    The text is the display's text/plain part, so stored outputs are the same each run."""
    _ASKED[question.qid] = question
    bundle = {"text/plain": question.as_text()}
    form = _widget(question)
    if form is not None:
        data = form._repr_mimebundle_() or {}
        view = data.get("application/vnd.jupyter.widget-view+json")
        if view:
            bundle["application/vnd.jupyter.widget-view+json"] = view
    try:
        from IPython.display import display
        display(bundle, raw=True)
    except ImportError:                      # pragma: no cover - outside IPython
        print(bundle["text/plain"])


def ask(qid: str, prompt: str, options: dict[str, str], *, answer: str) -> None:
    """A multiple-choice question on what the chapter just showed."""
    show(Question(qid, prompt, dict(options), answer, ASK))


def predict(qid: str, prompt: str, options: dict[str, str], *, answer: str) -> None:
    """A question asked before the cell that shows the answer: commit, then run it."""
    show(Question(qid, prompt, dict(options), answer, PREDICT))


def answer(qid: str, choice: str) -> Feedback:
    """Answer a question without widgets: prints one line, right or wrong and why."""
    if qid not in _ASKED:
        known = ", ".join(sorted(_ASKED)) or "none yet"
        raise KeyError(f"no question {qid!r} was asked in this kernel (asked: {known}); "
                       "run the cell that asks it first")
    result = _ASKED[qid].check(choice)
    print(result.text)
    return result
