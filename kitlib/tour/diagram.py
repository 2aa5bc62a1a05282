"""An SVG picture of the running cluster: the control-plane components above, one box per
node below, arrows showing that everything talks to kube-apiserver. Drawn from live
data, with no network fetches, so it renders in JupyterLab as is."""
from __future__ import annotations

from html import escape

from kubernetes import client

W, CP_Y, NODE_Y = 940, 70, 300
COMPONENTS = ("etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager",
              "cloud-controller-manager")


def _box(x, y, w, h, title, lines=(), fill="#e8f0fe", dashed=False, size=14) -> str:
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    parts = [f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8" fill="{fill}" '
             f'stroke="#3b5998"{dash}/>',
             f'<text x="{x + w / 2}" y="{y + 20}" text-anchor="middle" font-weight="bold" '
             f'font-size="{size}">{escape(title)}</text>']
    parts += [f'<text x="{x + w / 2}" y="{y + 38 + 16 * i}" text-anchor="middle" font-size="12">'
              f'{escape(line)}</text>' for i, line in enumerate(lines)]
    return "\n".join(parts)


def _arrow(x1, y1, x2, y2) -> str:
    return (f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#555" '
            f'stroke-width="1.5" marker-end="url(#arrow)"/>')


def architecture_svg(running: list[str], nodes: list[dict], provider: str) -> str:
    """``running``: control-plane programs found; ``nodes``: dicts with name, role,
    kubelet and runtime. Absent components are drawn dashed."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{NODE_Y + 150}" '
           'font-family="sans-serif" font-size="14">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
           f'<text x="10" y="24" font-size="16" font-weight="bold">Cluster ({escape(provider)}): '
           'control plane</text>',
           _box(10, CP_Y - 30, W - 20, 190, "", fill="#f7f9fc")]
    bw, gap = 168, 15
    xs = {c: 20 + i * (bw + gap) for i, c in enumerate(COMPONENTS)}
    for c in COMPONENTS:
        present = c in running
        note = "running" if present else "not running here"
        out.append(_box(xs[c], CP_Y, bw, 60, c, [note], fill="#e8f0fe" if present else "#fafafa",
                        dashed=not present, size=12))
    api_x = xs["kube-apiserver"] + bw / 2
    out.append(_arrow(api_x - bw / 2, CP_Y + 30, xs["etcd"] + bw, CP_Y + 30))      # apiserver -> etcd
    for i, c in enumerate(("kube-scheduler", "kube-controller-manager")):             # they watch the API
        y = CP_Y + 78 + 10 * i
        out.append(f'<polyline points="{xs[c] + bw / 2},{CP_Y + 60} {xs[c] + bw / 2},{y} '
                   f'{api_x + 20 + 10 * i},{y} {api_x + 20 + 10 * i},{CP_Y + 62}" fill="none" '
                   'stroke="#555" stroke-width="1.5" marker-end="url(#arrow)"/>')
    out.append(f'<text x="{W / 2}" y="{CP_Y + 130}" text-anchor="middle" font-size="12">'
               'every component and every user talks to kube-apiserver only; '
               'only kube-apiserver talks to etcd</text>')
    nw = (W - 20 - gap * (len(nodes) - 1)) / max(len(nodes), 1)
    for i, n in enumerate(nodes):
        x = 10 + i * (nw + gap)
        out.append(_box(x, NODE_Y, nw, 120, n["name"],
                        [f"role: {n['role']}", f"kubelet {n['kubelet']}", "kube-proxy",
                         f"runtime: {n['runtime']}"], fill="#eef7ee"))
        out.append(_arrow(x + nw / 2, NODE_Y, api_x, CP_Y + 64))
    out.append("</svg>")
    return "\n".join(out)


def node_summaries(api: client.ApiClient) -> list[dict]:
    nodes = sorted(client.CoreV1Api(api).list_node().items, key=lambda n: n.metadata.name)
    return [{"name": n.metadata.name,
             "role": "control-plane" if "node-role.kubernetes.io/control-plane" in (n.metadata.labels or {})
             else "worker",
             "kubelet": n.status.node_info.kubelet_version,
             "runtime": n.status.node_info.container_runtime_version} for n in nodes]


def live_diagram(api: client.ApiClient):
    """The diagram of this cluster, as an IPython SVG object (displays inline)."""
    from IPython.display import SVG

    from kitlib.tour.where import provider, running_components
    running = [c.replace("kwok-controller", "kwok") for c in running_components(api)]
    return SVG(architecture_svg(running, node_summaries(api), provider()))
