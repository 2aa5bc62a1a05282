"""Chapter 1, "deployment eras": the same question — how do programs on one machine keep
out of each other's way? — answered by bare processes, virtual machines and containers,
each shown with real processes on the learner's machine.

One module per concern:

* ``procs``       start, measure and always clean up child processes
* ``noisy``       a worker and a CPU hog competing on one CPU (the noisy neighbour)
* ``cgroups``     CPU and memory limits from Linux control groups (v2, or v1 where the
                  controller lives there)
* ``namespaces``  PID/UTS/mount namespaces with ``unshare``; a tiny image and its rootfs
* ``virt``        is this machine virtualized? boot a tiny VM where QEMU is installed
* ``docker``      a real container, where a Docker engine answers
* ``compare``     start-up time and memory of each kind, as a table and a plot

The chapter's graded check (Kubernetes CPU limits as cgroup quotas) is ``exercises.eras``.
"""
