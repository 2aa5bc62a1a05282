"""What goes into the images the kit builds: Debian package lists (the rest is pinned in
``cluster/versions.yaml``)."""

# The node: what kind's base image installs, plus runc (Debian's) and jq (kind's
# createContainer hook needs it).
NODE_PACKAGES = [
    "systemd", "systemd-sysv", "dbus", "iptables", "nftables", "iproute2", "mount",
    "ca-certificates", "conntrack", "ethtool", "socat", "util-linux", "kmod", "procps",
    "libseccomp2", "runc", "bash", "pigz", "fuse-overlayfs", "jq", "e2fsprogs",
]
# Base of the node-network images (kube-proxy, flannel): they program iptables/nftables.
NETWORK_PACKAGES = ["iptables", "nftables", "iproute2", "conntrack", "ipset", "kmod"]
