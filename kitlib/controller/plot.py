"""Pictures of a controller at work."""
from __future__ import annotations


def plot_timeline(samples, events=(), title="desired vs current vs ready", ax=None,
                  chaos_end: float | None = None):
    """Step plot of (t, desired, current, ready) samples; ``events`` ((t, label), ...)
    are marked along the top. Returns the matplotlib Axes."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.6))
    if samples:
        t, desired, current, ready = zip(*samples)
        ax.step(t, desired, where="post", label="desired (spec.replicas)", linewidth=2.5, color="black")
        ax.step(t, current, where="post", label="current (active pods)", color="tab:blue")
        ax.step(t, ready, where="post", label="ready", color="tab:green", linestyle="--")
        top = max(max(desired), max(current)) + 1
        for at, label in events:
            color = "tab:red" if label.startswith("delete") else "tab:gray"
            ax.axvline(at, color=color, alpha=0.25, linewidth=1)
        if chaos_end is not None:
            ax.axvspan(0, chaos_end, color="tab:red", alpha=0.05, label="chaos (red lines: pods deleted)")
        ax.set_ylim(0, top + 0.5)
    ax.set_xlabel("seconds")
    ax.set_ylabel("pods")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_chaos(chaos: dict, ax=None):
    """A chaos round's timeline (chapter 06's checks keep the last one in
    ``exercises.controller.checks.LAST_CHAOS``)."""
    if not chaos.get("samples"):
        raise ValueError("no chaos round has run yet: run the checks first")
    return plot_timeline(chaos["samples"], chaos.get("events", ()), ax=ax,
                         chaos_end=chaos.get("chaos_end"),
                         title="Chaos round: desired vs current vs ready")
