"""Formative questions: the right answer is right, each distractor explains its own
misconception, bad input fails with a clear message, and what a question shows is the
same text on every run (nbval compares it)."""
import pytest

from kitlib.learner import quiz

OPTIONS = {
    "kube-scheduler": "The scheduler only picks a node; it writes the binding through kube-apiserver.",
    "kube-apiserver": "Only kube-apiserver talks to etcd; every other component goes through it.",
    "the kubelet": "The kubelet reports to kube-apiserver, never to etcd directly.",
}


def question(kind=quiz.ASK):
    return quiz.Question("T.1", "Which component writes to etcd?", dict(OPTIONS), "kube-apiserver", kind)


def test_the_right_answer_by_letter_or_text():
    q = question()
    for choice in ("b", "B", " b ", "kube-apiserver"):
        result = q.check(choice)
        assert result.correct and result.choice == "kube-apiserver"
        assert result.text == "Right — " + OPTIONS["kube-apiserver"]


@pytest.mark.parametrize("letter,text", [("a", "kube-scheduler"), ("c", "the kubelet")])
def test_each_distractor_gives_its_own_explanation(letter, text):
    result = question().check(letter)
    assert not result.correct and result.choice == text
    assert result.text == "Not quite — " + OPTIONS[text]


def test_a_prediction_sends_the_learner_to_the_next_cell():
    assert question(quiz.PREDICT).check("a").text.endswith("Now run the next cell and watch.")


@pytest.mark.parametrize("bad", ["d", "z", "", "kube-proxy", 2, None])
def test_an_unknown_choice_says_what_the_choices_are(bad):
    with pytest.raises(ValueError, match=r"is not an option; answer with one of 'a', 'b', 'c'"):
        question().check(bad)


@pytest.mark.parametrize("options,answer,message", [
    ({"only one": "why"}, "only one", "at least two options"),
    ({"a": "why", "b": ""}, "a", "needs a one-line explanation"),
    ({"a": "why", "b": "two\nlines"}, "a", "keep the explanation to one line"),
    ({"a": "why", "b": "why"}, "c", "is not one of the options"),
    (["a", "b"], "a", "at least two options"),
])
def test_a_badly_written_question_fails_when_asked(options, answer, message):
    with pytest.raises(ValueError, match=message):
        quiz.Question("T.2", "?", options, answer)


def test_a_question_needs_an_id():
    with pytest.raises(ValueError, match="needs an id"):
        quiz.Question(" ", "?", dict(OPTIONS), "kube-apiserver")


def test_the_text_is_deterministic_and_says_how_to_answer_without_widgets():
    text = question().as_text()
    assert text == question().as_text()
    assert text.splitlines() == [
        "Quick check T.1 (not graded): Which component writes to etcd?",
        "  a) kube-scheduler", "  b) kube-apiserver", "  c) the kubelet",
        'Choose an option and press Check — or, without widgets, run quiz.answer("T.1", "<letter>").',
    ]


def test_shown_as_a_widget_with_the_text_as_fallback(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: shown.append(bundle))
    quiz.ask("T.3", "Which component writes to etcd?", OPTIONS, answer="kube-apiserver")
    (bundle,) = shown
    assert bundle["text/plain"].startswith("Quick check T.3 (not graded)")
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_answer_without_widgets(monkeypatch, capsys):
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: None)
    quiz.predict("T.4", "Which component writes to etcd?", OPTIONS, answer="kube-apiserver")
    assert quiz.answer("T.4", "b").correct
    assert capsys.readouterr().out.startswith("Right — Only kube-apiserver")
    with pytest.raises(KeyError, match="no question 'T.9' was asked"):
        quiz.answer("T.9", "a")


def test_the_widget_checks_the_chosen_option():
    form = quiz._widget(question())
    head, choices, buttons, feedback = form.children
    buttons.children[0].click()
    assert "Choose an option first" in feedback.value
    choices.value = choices.options[0]
    buttons.children[0].click()
    assert "Not quite" in feedback.value and "binding" in feedback.value
    choices.value = choices.options[1]
    buttons.children[0].click()
    assert "Right" in feedback.value
