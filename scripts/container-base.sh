#!/usr/bin/env bash
# Makes what building and running the Dockerfile needs on a machine that reaches Debian's mirror but no container
# registry (the container test, tests/integration/test_container.py, runs it; it needs root). Idempotent:
#   1. Debian's podman (with runc: crun refuses hybrid cgroup v1+v2 hosts), podman-compose and mmdebstrap, when missing;
#   2. /etc/containers/containers.conf, when missing: runc, and rlimits capped at the host's hard limits (containers
#      cannot raise them without CAP_SYS_RESOURCE);
#   3. the Dockerfile's base, debian:bookworm-slim, made with mmdebstrap from the host's apt sources and imported
#      under that name, when podman has no image of that name.
set -euo pipefail

base="docker.io/library/debian:bookworm-slim"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

tools=(podman buildah fuse-overlayfs slirp4netns uidmap mmdebstrap runc podman-compose)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing container tools: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -e /etc/containers/containers.conf ]; then
  $sudo mkdir -p /etc/containers
  $sudo tee /etc/containers/containers.conf >/dev/null <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF
fi

if ! $sudo podman image exists "$base"; then
  rootfs="$(mktemp -d)/rootfs.tar"
  trap 'rm -rf "$(dirname "$rootfs")"' EXIT
  $sudo mmdebstrap --quiet --variant=minbase --components=main bookworm "$rootfs"
  $sudo podman import --change 'CMD ["bash"]' "$rootfs" "$base" >/dev/null
  echo "made $base locally (mmdebstrap of bookworm)"
fi
