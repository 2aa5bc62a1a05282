"""The workshop room's bookkeeping: roster names, passwords, the room file."""
import pytest

from kitlib.errors import UsageError
from kitlib.workshop.room import (
    Learner,
    Room,
    check_name,
    hash_password,
    new_password,
    password_matches,
    roster,
)


def test_roster_from_a_count_or_a_file(tmp_path):
    assert roster(None, 3) == ["learner01", "learner02", "learner03"]
    file = tmp_path / "roster.csv"
    file.write_text("name,email\nAna,ana@example.org\n# a comment\n\nbo  # late\n")
    assert roster(str(file), None) == ["ana", "bo"]


@pytest.mark.parametrize("text, why", [("ana\nana\n", "more than once"), ("# nobody\n", "nobody"),
                                       ("ana-b\n", "lowercase letters and digits"),
                                       ("1ana\n", "starting with a letter")])
def test_a_bad_roster_is_refused_with_the_reason(tmp_path, text, why):
    file = tmp_path / "roster.txt"
    file.write_text(text)
    with pytest.raises(UsageError, match=why):
        roster(str(file), None)


def test_someone_must_come():
    with pytest.raises(UsageError, match="--learners N or --roster FILE"):
        roster(None, None)


def test_names_become_part_of_a_system_user_name():
    assert check_name("ana2") == "ana2"
    for bad in ("", "Ana", "ana.b", "a" * 21, "root;", "../x"):
        with pytest.raises(UsageError):
            check_name(bad)
    with pytest.raises(UsageError, match="the instructor's login"):
        check_name("instructor")


def test_passwords_are_stored_hashed_and_salted():
    password = new_password()
    stored = hash_password(password)
    assert password not in stored and password_matches(password, stored)
    assert not password_matches(password + "x", stored)
    assert not password_matches(password, "garbage")
    assert hash_password(password) != stored          # a new salt each time


def test_the_room_file_round_trips_and_stays_private(tmp_path):
    room = Room(str(tmp_path), hub_port=18000)
    room.learners.append(Learner("ana", "kitws-ana", 990, str(tmp_path / "learners" / "ana"),
                                 hash_password("x"), ["/sys/fs/cgroup/pids/kitlib-ws-ana"]))
    room.save()
    assert (tmp_path / "room.json").stat().st_mode & 0o077 == 0
    again = Room.load(tmp_path)
    assert again == room and again.learner("kitws-ana").name == "ana"
    assert again.learners[0].kubeconfig.parts[-5:] == (".kit", "state", "clusters", "kit", "kubeconfig")
    with pytest.raises(UsageError, match="no learner 'bo'"):
        again.learner("bo")
    with pytest.raises(UsageError, match="no workshop room"):
        Room.load(tmp_path / "elsewhere")


def test_the_rooms_chart_has_a_row_per_learner_and_marks_broken_clusters(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    from kitlib.workshop.status import LearnerStatus, plot, table
    statuses = [LearnerStatus("ana", "ready", True, "running", 300, "05-scheduler-exercise", 7, 9),
                LearnerStatus("bo", "not answering (ConnectionError)", False, "-", None, "-", 0, 0)]
    fig = plot(statuses)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ana", "bo"]
    colors = {t.get_text(): t.get_color() for t in ax.get_yticklabels()}
    assert colors["bo"] == "tab:red" and colors["ana"] != "tab:red"
    widths = sorted(round(p.get_width()) for p in ax.patches)
    assert widths == [0, 0, 2, 7]                          # passed 7 and 0; checked-not-passed 2 and 0
    fig.savefig(tmp_path / "room.png")
    text = table(statuses)
    assert "7/9 checked" in text and "300 MiB" in text and "not answering" in text


def test_the_room_page_shows_every_learner_escaped_and_broken_clusters_in_red():
    from kitlib.workshop.room_page import render
    from kitlib.workshop.status import LearnerStatus
    statuses = [LearnerStatus("ana", "ready", True, "running", 300, "05-scheduler-exercise", 7, 9),
                LearnerStatus("bo", "not answering <b>", False, "-", None, "-", 0, 0)]
    page = render(statuses, b"PNG")
    rows = page.split("<tr")[2:]
    assert "<td>ana</td>" in rows[0] and "7 of 9" in rows[0] and "300 MiB" in rows[0]
    assert 'style="color:#b00020"' in rows[1] and "not answering &lt;b&gt;" in rows[1]
    assert "color" not in rows[0] and "data:image/png;base64,UE5H" in page
