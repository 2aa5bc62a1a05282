"""Desired state and the loops that reach it (chapters 01 and 02), one module per concern:

* ``reconcile``    a control loop in plain Python: a thermostat observing, comparing, acting
* ``convergence``  a Deployment's desired vs ready replicas, recorded from a watch and plotted
"""
