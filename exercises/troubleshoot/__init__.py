"""Chapter 7's graded lab: the kit breaks a namespace in several independent ways, chosen
by a seed (``lab``, from the ``faults`` catalogue); the learner repairs it; ``checks`` gives
points per fault and names what is still broken, never how to fix it."""
