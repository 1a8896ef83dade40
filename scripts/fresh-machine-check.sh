#!/usr/bin/env bash
# Runs the README's two commands (`make demo`, then `make test`) the way a new user would:
# on a clone of this repository's HEAD inside a fresh Debian bookworm root (debootstrap
# minbase plus git and make), with the CUDA toolkit bind-mounted read-only at
# /usr/local/cuda. The development machines carry a patched CMake; this root has Debian's
# stock packages only, so it shows what a user's machine does.
#
#   sudo scripts/fresh-machine-check.sh [ROOT]     (default ROOT: /var/tmp/sp-fresh-root)
#
# Env: SP_FRESH_MIRROR (default http://deb.debian.org/debian), SP_FRESH_REUSE=1 keeps an
# existing ROOT (the clone, its build and the installed packages are still thrown away),
# CUDA_HOME (default /usr/local/cuda). Prints each command's exit status and wall time and
# exits non-zero if either failed. Only committed work is checked (it clones HEAD).
set -euo pipefail

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
root=${1:-/var/tmp/sp-fresh-root}
mirror=${SP_FRESH_MIRROR:-http://deb.debian.org/debian}
cuda_home=${CUDA_HOME:-/usr/local/cuda}
log_dir=${root}.logs

die() { echo "fresh-machine-check: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and bind mounts); run it with sudo"
[ -x "$cuda_home/bin/nvcc" ] || die "expected the CUDA toolkit in $cuda_home, found no bin/nvcc"
if ! command -v debootstrap >/dev/null; then
  echo "fresh-machine-check: installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "fresh-machine-check: note: uncommitted changes are not checked (the root clones HEAD)"
fi

mounts=()
unmount_all() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount -R "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}" 2>/dev/null || true
  done
  mounts=()
}
trap unmount_all EXIT
bind() {  # bind SRC DST [ro]
  mkdir -p "$2"
  mount --rbind "$1" "$2"
  mount --make-rslave "$2"
  [ "${3:-}" = ro ] && mount -o remount,bind,ro "$2"
  mounts+=("$2")
}

# Leftover mounts from an interrupted run would make rm -rf reach the host's /dev.
for m in $(awk -v r="$root/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r); do
  umount -R "$m" 2>/dev/null || umount -l "$m"
done

started=$(date +%s)
if [ "${SP_FRESH_REUSE:-0}" = 1 ] && [ -x "$root/usr/bin/git" ]; then
  echo "fresh-machine-check: reusing $root"
  rm -rf "$root/root/sp"
else
  rm -rf "$root"
  echo "fresh-machine-check: debootstrap bookworm (minbase + git, make) into $root"
  debootstrap --variant=minbase --include=git,make,ca-certificates bookworm "$root" "$mirror" \
    >"$log_dir.debootstrap.txt" 2>&1 || die "debootstrap failed; see $log_dir.debootstrap.txt"
fi
mkdir -p "$log_dir"
cp /etc/resolv.conf "$root/etc/resolv.conf"
bind /proc "$root/proc"
bind /sys "$root/sys"
bind /dev "$root/dev"
bind "$cuda_home" "$root/usr/local/cuda" ro

git clone -q --no-local "$repo" "$root/root/sp"
commit=$(git -C "$root/root/sp" rev-parse --short HEAD)
echo "fresh-machine-check: commit $commit, $(nproc) cores, CMake in the root comes from Debian"

run_in_root() {  # run_in_root NAME COMMAND -> prints status and time, logs to $log_dir/NAME.txt
  local t0 t1 rc
  t0=$(date +%s)
  set +e
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd /root/sp && $2" >"$log_dir/$1.txt" 2>&1
  rc=$?
  set -e
  t1=$(date +%s)
  printf '%-10s exit %d  %4d s  (log: %s)\n' "$2" "$rc" "$((t1 - t0))" "$log_dir/$1.txt"
  return "$rc"
}

status=0
echo "--- the README's two commands, in the fresh root ---"
run_in_root demo "make demo" || status=1
grep -E "threshold .*precision .*recall .*mAP" "$log_dir/demo.txt" | tail -n 1 | sed 's/^ */  demo: /' || true
run_in_root test "make test" || status=1
grep -E "tests passed|tests failed" "$log_dir/test.txt" | tail -n 1 | sed 's/^/  test: /' || true
echo "cmake in the root: $(chroot "$root" cmake --version | head -n 1)"
echo "total $(($(date +%s) - started)) s; commit $commit; $( ((status)) && echo FAILED || echo both passed)"
exit "$status"
