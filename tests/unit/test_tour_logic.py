"""Pure logic of kitlib.tour: etcd key ranges, kubeconfig parsing, JWT claims, the diagram."""
import base64
import json

import pytest
import yaml

from kitlib.tour import apiserver, controllers, diagram, etcd, nodes


def test_prefix_range_end_increments_last_byte():
    assert etcd.prefix_range_end("/registry/") == "/registry0"
    assert etcd.prefix_range_end("a") == "b"
    with pytest.raises(ValueError):
        etcd.prefix_range_end("")


def test_range_request_is_base64_and_keys_only():
    req = etcd.range_request("/registry/pods/")
    assert base64.b64decode(req["key"]) == b"/registry/pods/"
    assert base64.b64decode(req["range_end"]) == b"/registry/pods0"
    assert req["keys_only"] is True


def test_decode_keys_and_empty_reply():
    reply = {"kvs": [{"key": base64.b64encode(b"/registry/pods/a/b").decode()}]}
    assert etcd.decode_keys(reply) == ["/registry/pods/a/b"]
    assert etcd.decode_keys({"header": {}}) == []


def test_keys_of_namespace_and_counts():
    keys = ["/registry/pods/ns1/a", "/registry/services/specs/ns1/web", "/registry/namespaces/ns1",
            "/registry/pods/ns2/b"]
    assert etcd.keys_of_namespace(keys, "ns1") == ["/registry/pods/ns1/a", "/registry/services/specs/ns1/web"]
    assert etcd.count_by_resource(keys) == [
        {"under /registry/": "namespaces", "keys": 1}, {"under /registry/": "pods", "keys": 2},
        {"under /registry/": "services", "keys": 1}]


def test_read_credentials_accepts_files_and_inline_data(tmp_path):
    (tmp_path / "ca.crt").write_bytes(b"CA")
    cfg = {"current-context": "c", "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
           "clusters": [{"name": "k", "cluster": {"server": "https://127.0.0.1:6443",
                                                   "certificate-authority": "ca.crt"}}],
           "users": [{"name": "u", "user": {"client-certificate-data": base64.b64encode(b"CERT").decode(),
                                            "client-key-data": base64.b64encode(b"KEY").decode()}}]}
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    creds = apiserver.read_credentials(path)
    assert (creds.ca, creds.cert, creds.key) == (b"CA", b"CERT", b"KEY")
    assert (creds.host, creds.port) == ("127.0.0.1", 6443)


def test_loopback_check():
    assert apiserver.is_loopback("127.0.0.1") and apiserver.is_loopback("localhost")
    assert not apiserver.is_loopback("10.0.0.1") and not apiserver.is_loopback("example.com")


def test_raw_get_refuses_non_loopback(tmp_path):
    cfg = {"current-context": "c", "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
           "clusters": [{"name": "k", "cluster": {"server": "https://10.1.2.3:6443",
                                                   "certificate-authority-data": "Q0E="}}],
           "users": [{"name": "u", "user": {"client-certificate-data": "Q0U=", "client-key-data": "S0U="}}]}
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ValueError, match="loopback"):
        apiserver.raw_get("/version", path)


def test_jwt_claims_decodes_payload_without_padding():
    payload = base64.urlsafe_b64encode(json.dumps({"sub": "system:serviceaccount:a:b"}).encode()).rstrip(b"=")
    token = f"e30.{payload.decode()}.sig"
    assert controllers.jwt_claims(token) == {"sub": "system:serviceaccount:a:b"}
    with pytest.raises(ValueError):
        controllers.jwt_claims("not-a-token")


def test_service_rules_filters_by_namespace_and_name():
    save = "\n".join(["-A KUBE-SERVICES -d 10.96.0.5/32 -m comment --comment \"ns1/web cluster IP\" -j KUBE-SVC-X",
                      "-A KUBE-SERVICES -m comment --comment \"ns1/other\" -j KUBE-SVC-Y",
                      ":KUBE-SVC-X - [0:0]"])
    assert nodes.service_rules(save, "ns1", "web") == [save.splitlines()[0]]


def test_diagram_names_components_and_marks_absent_ones_dashed():
    svg = diagram.architecture_svg(
        ["etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager"],
        [{"name": "kit-worker", "role": "worker", "kubelet": "v1", "runtime": "containerd://2"}], "kind")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for name in ("kube-apiserver", "etcd", "kit-worker", "containerd://2"):
        assert name in svg
    assert svg.count("stroke-dasharray") == 1           # cloud-controller-manager only
    assert "not running here" in svg
