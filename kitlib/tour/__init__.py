"""A live tour of the cluster's architecture (chapter 03), one module per stop:

* ``where``       which provider runs the cluster, and which control-plane processes/pods
* ``apiserver``   kube-apiserver reached three ways: kubectl, the Python client, raw HTTPS
* ``etcd``        the keys kube-apiserver keeps in etcd under /registry
* ``controllers`` kube-scheduler and the controllers of kube-controller-manager at work
* ``nodes``       kubelet heartbeats, kube-proxy and Services, the runtime, allocatable
* ``cattle``      delete a worker Node, watch its pods move, bring the node back
* ``diagram``     an SVG picture of the running cluster
"""
