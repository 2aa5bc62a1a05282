"""A workshop room on an existing Kubernetes cluster: JupyterHub with KubeSpawner, a learner a pod."""
