"""Chapter 10's helpers: the control plane's heartbeats (``leases``) and the learner's own
scheduler and controller run as processes beside it (``takeover``)."""
