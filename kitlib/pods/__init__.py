"""Pods and manifests (chapter 04), one module per concern:

* ``manifests``       a manifest field by field, the same Pod three ways, declarative apply
* ``multicontainer``  containers of one pod sharing the network and volumes
* ``advantages``      where each advantage (S23–S30) is shown; rollouts, storage, probes
"""
