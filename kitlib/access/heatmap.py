"""The access matrix (resources x verbs, allowed or not) as a small picture."""
from __future__ import annotations


def plot(grid: dict[str, dict[str, bool]], title: str):
    """``grid``: {resource: {verb: allowed}} (``review.grid``). Returns the figure."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    resources = list(grid)
    verbs = list(next(iter(grid.values())))
    values = [[1 if grid[r][v] else 0 for v in verbs] for r in resources]
    fig, ax = plt.subplots(figsize=(1 + 0.9 * len(verbs), 0.8 + 0.45 * len(resources)))
    ax.imshow(values, cmap=ListedColormap(["#e8b4b4", "#9fd49f"]), vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(verbs)), verbs)
    ax.set_yticks(range(len(resources)), resources)
    ax.xaxis.tick_top()
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            ax.text(j, i, "yes" if v else "no", ha="center", va="center", fontsize=9)
    ax.set_title(title, fontsize=10, pad=28)
    fig.tight_layout()
    return fig
