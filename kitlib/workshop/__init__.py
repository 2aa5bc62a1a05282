"""Workshop mode: one machine, a room of learners, each with a private Docker-free cluster,
a workspace of notebooks and a Jupyter server behind JupyterHub; the instructor sees the
room (`status`) and grades it (`collect`, `grade`, `return`). See ``cli`` for the verbs and
``room`` for where everything lives."""
