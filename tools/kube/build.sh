#!/usr/bin/env bash
# Builds the real Kubernetes components of the sandbox's `--kubernetes real`
# mode -- kube-apiserver and etcd at the versions pinned in versions.env --
# from the Go module proxy into a cache outside the work tree:
#
#   ${XDG_CACHE_HOME:-~/.cache}/eksaccess/kube/$KUBE_VERSION/{kube-apiserver,etcd}
#
# Idempotent: a binary whose stamp (version + hash of its module's files)
# matches is left alone, so a second run takes a second. A cold build takes
# about 10 minutes on 2 cores (kube-apiserver is the long one).
#
# Usage: bash tools/kube/build.sh [--print-dir]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache_root=${XDG_CACHE_HOME:-$HOME/.cache}
dir=$cache_root/eksaccess/kube/$KUBE_VERSION

if [[ ${1:-} == --print-dir ]]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$dir"
building=
trap '[[ -z $building ]] || rm -rf "$building"' EXIT

# The components are modules of their own; no go.work, no vendor directory,
# and their go.sum is the one committed.
export GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0

stamp_of() { # module-dir version -> stamp text
	(cd "$1" && cat go.mod go.sum ./*.go && echo "$2" && go env GOVERSION) | sha256sum | cut -d' ' -f1
}

build_one() { # name module-dir version ldflags...
	local name=$1 mod=$2 version=$3 ldflags=$4
	local stamp
	stamp=$(stamp_of "$mod" "$version")
	if [[ -x $dir/$name && -f $dir/$name.stamp && $(cat "$dir/$name.stamp") == "$stamp" ]]; then
		echo "kube build: $name $version is up to date in $dir"
		return 0
	fi
	echo "kube build: building $name $version into $dir (a cold build takes minutes)"
	local start=$SECONDS tmp
	# A temporary folder of this run's own, so that two builds at once (this script by hand
	# while the tests' EnsureBuilt runs it) each rename a whole binary into place.
	tmp=$(mktemp -d "$dir/.build-$name.XXXXXX")
	building=$tmp # removed on exit, should the build fail or be interrupted
	(cd "$mod" && go build -trimpath -ldflags "$ldflags" -o "$tmp/$name" .)
	echo "$stamp" >"$tmp/$name.stamp"
	mv -f "$tmp/$name" "$dir/$name"
	mv -f "$tmp/$name.stamp" "$dir/$name.stamp"
	rmdir "$tmp"
	building=
	echo "kube build: $name built in $((SECONDS - start))s"
}

minor=${KUBE_VERSION#v1.}
minor=${minor%%.*}
kv="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	kv="$kv -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
	kv="$kv -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

build_one etcd "$here/etcd" "$ETCD_VERSION" "-s -w"
build_one kube-apiserver "$here/apiserver" "$KUBE_VERSION" "$kv"

"$dir/etcd" --version | head -1
"$dir/kube-apiserver" --version
