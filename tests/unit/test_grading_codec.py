"""What crosses from the learner's kernel to the checker is data only: no learner class,
no learner ``==``, nothing that runs code in the checker (kitlib/grading/codec.py)."""
import pytest
from kubernetes.client import ApiClient

from kitlib.grading import codec
from kitlib.grading.remote import LearnerError, _learner_exception
from kitlib.scheduler.framework import Status


def roundtrip(value):
    return codec.load_result(codec.dump_result(value))


def test_plain_data_keeps_its_types():
    value = {"a": [1, 2.5, None, True], (1, "x"): {"set": {1, 2}}, 3: (b"raw", frozenset({4}))}
    assert roundtrip(value) == value
    assert type(roundtrip((1, 2))) is tuple and type(roundtrip([1, 2])) is list


def test_the_learners_subclasses_arrive_as_plain_values():
    class Always(str):
        def __eq__(self, other):
            return True

        __hash__ = str.__hash__

    class Truthy(int):
        def __bool__(self):
            return True

    got = roundtrip([Always("no"), Truthy(0)])
    assert got == ["no", 0] and type(got[0]) is str and type(got[1]) is int
    assert got[0] != "anything else"


def test_unknown_objects_equal_nothing_and_show_their_repr():
    class Liar:
        def __eq__(self, other):
            return True

        def __repr__(self):
            return "Liar()"

    got = roundtrip(Liar())
    assert isinstance(got, codec.Opaque) and got != got and repr(got) == "Liar()"


def test_status_is_rebuilt_as_the_schedulers_own():
    got = roundtrip(Status.unschedulable("Insufficient cpu"))
    assert type(got) is Status and got == Status.unschedulable("Insufficient cpu")


def test_cycles_and_huge_values_are_refused():
    loop = []
    loop.append(loop)
    with pytest.raises(codec.UncheckableResult):
        codec.dump_result(loop)
    with pytest.raises(codec.UncheckableResult):
        codec.dump_result("x" * (codec.MAX_CHARS + 1))


def test_unknown_tags_are_refused():
    with pytest.raises(ValueError):
        codec.load_result('{"$pickle": "gASV"}')


def test_an_api_client_argument_becomes_the_learners_own():
    mine = object()
    args, kwargs = codec.load_args(codec.dump_args((ApiClient(), 3), {"k": "v"}), lambda: mine)
    assert args == (mine, 3) and kwargs == {"k": "v"}


def test_learner_exceptions_are_python_s_own_types_or_learner_error():
    assert type(_learner_exception("ValueError", "bad")) is ValueError
    assert type(_learner_exception("NotImplementedError", "")) is NotImplementedError
    assert type(_learner_exception("MyError", "x")) is LearnerError
    assert "sys.exit(2)" in str(_learner_exception("SystemExit", "2"))
    assert type(_learner_exception("KeyboardInterrupt", "")) is LearnerError


def test_api_errors_come_back_as_the_kubernetes_clients_own_so_a_controller_retries_them():
    from kubernetes.client.exceptions import ApiException, ConflictException
    conflict = _learner_exception("ConflictException", "(409)\nReason: Conflict\nHTTP response body: x")
    assert type(conflict) is ConflictException and (conflict.status, conflict.reason) == (409, "Conflict")
    assert type(_learner_exception("ApiException", "(500)\nReason: Boom\n")) is ApiException
    # a name alone, or a message alone, is not an API error
    assert type(_learner_exception("ApiException", "no status here")) is LearnerError
    assert type(_learner_exception("ConfigException", "(409)\nReason: Conflict\n")) is LearnerError
