"""Chapter 08's graded exercise: the manifests of a small application, checked by what
they do once applied (exercises/workloads/checks.py)."""
