"""The learner's side of the kit: a workspace of student notebooks kept apart from the
course sources (``workspace``)."""
