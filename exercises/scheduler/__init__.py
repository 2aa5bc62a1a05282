"""Chapter 05's exercise material (the framework it plugs into is ``kitlib.scheduler``):

* ``scenarios``   builders for simulated nodes and pods; adding them to the cluster
* ``stage``       the chapter's five nodes, the public scenarios, the end-to-end workload
* ``profile``     the eight functions learners write, as kube-scheduler's default profile
* ``reference``   the chapter's solution cells, as that profile (the one copy)
* ``checks``      learner vs reference, scenario by scenario; whole-profile decisions
* ``end_to_end``  the learner's scheduler placing real pods, checked against the reference
* ``race``        the learner's scheduler and kube-scheduler on the same workload
"""
