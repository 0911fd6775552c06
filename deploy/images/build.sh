#!/usr/bin/env bash
# Builds one image per Tandem service with buildah, offline and without a
# container daemon: a static binary (CGO_ENABLED=0, -trimpath, version from
# git describe) on an empty base ("scratch") with CA certificates, the
# time-zone database and an unprivileged user, labelled with the OCI
# annotations, plus a CycloneDX SBOM of the binary. Output in $OUT
# (bin/images): <service>.oci.tar (OCI archive), <service>.cdx.json (SBOM);
# the images are also in buildah's local storage as localhost/tandem/<service>.
# Usage: deploy/images/build.sh [service ...]   (default: all six)
set -euo pipefail
cd "$(dirname "$0")/../.."

GO=${GO:-go}
OUT=${OUT:-bin/images}
CYCLONEDX=${CYCLONEDX:-github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0}
# The vfs driver works inside unprivileged containers where overlay does not.
export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs}
services=("$@")
[ ${#services[@]} -gt 0 ] || services=(profiles competencies matching meetings messaging gateway)

command -v buildah >/dev/null || { echo "images: buildah is not installed (apt-get install buildah)" >&2; exit 1; }

version=$(git describe --tags --always --dirty)
revision=$(git rev-parse HEAD)
# The commit's time, so that rebuilding the same commit gives the same image.
created=$(git log -1 --format=%cI HEAD)
epoch=$(git log -1 --format=%ct HEAD)
declare -A ports=([profiles]=7101 [competencies]=7102 [matching]=7103 [meetings]=7104 [messaging]=7105 [gateway]="7100 8080")
declare -A titles=(
	[profiles]="organisations, people, cluster memberships, visibility and consent"
	[competencies]="vocabulary, competencies, cooperation offers and requests"
	[matching]="explained partner suggestions"
	[meetings]="brokerage events, meeting requests and schedules"
	[messaging]="contact requests, message threads and e-mail notifications"
	[gateway]="HTTP/JSON API, sign-in and web UI"
)

mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$GO run ./deploy/cmd/rootfs -out "$work/rootfs" -zoneinfo "$($GO env GOROOT)/lib/time/zoneinfo.zip"

for s in "${services[@]}"; do
	[ -n "${ports[$s]:-}" ] || { echo "images: unknown service $s" >&2; exit 2; }
	echo "images: $s $version"
	rm -rf "$work/$s" && cp -a "$work/rootfs" "$work/$s"
	CGO_ENABLED=0 $GO build -trimpath -buildvcs=true \
		-ldflags "-s -w -buildid= -X github.com/tandem-cluster/tandem/pkg/runtime.Version=$version" \
		-o "$work/$s/$s" "./services/$s/cmd/$s"
	touch -d "@0" "$work/$s/$s"
	$GO run "$CYCLONEDX" bin -json -version "$version" -output "$OUT/$s.cdx.json" "$work/$s/$s"

	ctr=$(buildah from --quiet scratch)
	buildah copy --quiet "$ctr" "$work/$s/" / >/dev/null
	ann=(
		org.opencontainers.image.title="tandem-$s"
		org.opencontainers.image.description="Tandem $s: ${titles[$s]}"
		org.opencontainers.image.version="$version"
		org.opencontainers.image.revision="$revision"
		org.opencontainers.image.created="$created"
		org.opencontainers.image.vendor="Tandem"
	)
	cfg=(--user 65532:65532 --workingdir / --entrypoint "[\"/$s\"]" --cmd "")
	for p in ${ports[$s]}; do cfg+=(--port "$p"); done
	for a in "${ann[@]}"; do cfg+=(--label "$a" --annotation "$a"); done
	buildah config "${cfg[@]}" "$ctr"
	img="localhost/tandem/$s:$version"
	buildah commit --quiet --rm --timestamp "$epoch" "$ctr" "$img" >/dev/null
	buildah tag "$img" "localhost/tandem/$s:dev"
	rm -f "$OUT/$s.oci.tar"
	buildah push --quiet "$img" "oci-archive:$OUT/$s.oci.tar:$img"
done
echo "images: done; $(ls "$OUT" | tr '\n' ' ')"
