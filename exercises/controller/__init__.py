"""Chapter 06's exercise material (the framework it plugs into is ``kitlib.controller``):

* ``harness``    a fresh namespace and controller running the learner's ``reconcile``
* ``checks``     the graded checks: basics, robustness, and the hidden ones
* ``reference``  the chapter's solution cell, as a ``reconcile`` (the one copy)
"""
