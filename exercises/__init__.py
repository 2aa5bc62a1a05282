"""The course's exercise material, one module or package per exercise chapter, kept apart
from the frameworks in ``kitlib``: checks, scenarios and workloads.

* ``eras``        chapter 01: a CPU limit as a cgroup ``cpu.max`` line
* ``desired``     chapter 02: the decision step of a ReplicaSet-like controller
* ``scheduler``   chapter 05: the mini-scheduler's plugins (stage, scenarios, checks, race)
* ``controller``  chapter 06: the PodSet ``reconcile`` (checks under chaos)
* ``solutions``   the reference solutions, read from the chapters' solution cells

Reference solutions live in one place only: the solution cells of ``chapters/NN-name.md``.
Code that needs one (the checks that compare with it, tests, benchmarks) runs it through
``exercises.solutions``.
"""
