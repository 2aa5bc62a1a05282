"""A controller's ctx crossing to another process (kitlib/controller/shared.py): caches and
expectations are read and changed live in the controller's process, only with the token,
and the ctx crosses the grader's codec as that reference, never as a copy."""
import pickle

import pytest
import urllib3
from kubernetes import client

from kitlib.client import Store
from kitlib.controller import CountingApiClient
from kitlib.controller.expectations import Expectations
from kitlib.controller.framework import Context
from kitlib.controller.shared import LearnerContext
from kitlib.grading import codec


@pytest.fixture
def ctx():
    configuration = client.Configuration()
    configuration.host = "http://127.0.0.1:9"        # never reached by these tests
    api = CountingApiClient(client.ApiClient(configuration))
    pods, podsets = Store(), Store()
    pods._set("ns/a", {"metadata": {"name": "a", "namespace": "ns"}})
    podsets._set("ns/web", {"metadata": {"name": "web", "namespace": "ns"}, "spec": {"replicas": 2}})
    ctx = Context(api, client.CoreV1Api(api), client.CustomObjectsApi(api), podsets, pods,
                  Expectations())
    yield ctx
    ctx.close()


def crossed(ctx):
    """What a reconcile in the learner's kernel receives for ``ctx`` (through the codec)."""
    (remote_ctx, key), _ = codec.load_args(codec.dump_args((ctx, "ns/web"), {}), api_factory=None)
    return remote_ctx, key


def test_ctx_crosses_as_a_reference_and_reads_the_caches_live(ctx):
    remote, key = crossed(ctx)
    assert isinstance(remote, LearnerContext) and key == "ns/web"
    assert remote.podsets.get("ns", "web")["spec"]["replicas"] == 2
    assert [p["metadata"]["name"] for p in remote.pods.list("ns")] == ["a"]
    assert remote.pods.get("ns", "gone") is None
    ctx.pods._set("ns/b", {"metadata": {"name": "b", "namespace": "ns"}})   # an event arrives
    assert sorted(remote.pods.keys()) == ["ns/a", "ns/b"] and len(remote.pods) == 2
    assert (remote.group, remote.version, remote.plural) == (ctx.group, ctx.version, ctx.plural)


def test_expectations_change_in_the_controllers_process(ctx):
    remote, key = crossed(ctx)
    remote.expectations.expect(key, creations=2)
    assert not ctx.expectations.satisfied(key) and ctx.expectations.pending(key) == (2, 0)
    ctx.expectations.creation_observed(key)                 # the informer sees one
    assert remote.expectations.pending(key) == (1, 0)
    remote.expectations.expect(key, deletions={"x"})        # a set crosses too
    remote.expectations.deletion_observed(key, "x")
    assert remote.expectations.satisfied(key) is True
    with pytest.raises(TypeError):
        remote.expectations.expect(key, replicas=3)         # a wrong call says so, as in-process
    with pytest.raises(AttributeError):
        _ = remote.expectations.clear_everything            # only Expectations' own calls
    with pytest.raises(RuntimeError, match="404"):          # and the server agrees
        remote._ask("POST", "/kit/expectations/__init__", call={})


def test_only_the_token_opens_the_ctx(ctx):
    remote, _ = crossed(ctx)
    stranger = LearnerContext(remote._url, "not-the-token")
    with pytest.raises(RuntimeError, match="401"):
        stranger.pods.list("ns")


def test_it_reaches_nothing_but_its_api_server(ctx):
    import socket
    from urllib.parse import urlsplit
    remote, _ = crossed(ctx)
    where = urlsplit(remote._url)
    for target in ("@elsewhere.invalid/x", "elsewhere.invalid:443"):
        with socket.create_connection((where.hostname, where.port), timeout=5) as sock:
            sock.sendall(f"GET {target} HTTP/1.0\r\nAuthorization: {remote._auth}\r\n\r\n".encode())
            assert sock.makefile("rb").readline().split()[1] == b"400", target


def test_the_server_stops_with_the_controllers_ctx(ctx):
    remote, _ = crossed(ctx)
    ctx.close()
    with pytest.raises(urllib3.exceptions.HTTPError):
        remote.pods.list("ns")


def test_a_ctx_is_never_pickled_as_a_copy(ctx):
    with pytest.raises((TypeError, pickle.PicklingError)):
        pickle.dumps(ctx)           # its caches hold locks: only the codec's reference crosses
