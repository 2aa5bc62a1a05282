"""Chapter 7, when things go wrong: pods broken on purpose (``broken``), the debugging
vocabulary read through the API (``look``), requests, limits and QoS (``capacity``),
cordon/drain with a PodDisruptionBudget (``drain``) and a node that stops reporting
(``nodefail``, reusing ``kitlib.tour.failure`` on real nodes)."""
