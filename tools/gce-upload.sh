#!/usr/bin/env bash
# gce-upload.sh: the appliance's raw disk image (make image) as a Compute
# Engine image (docs/deploy.md).
#
#   tools/gce-upload.sh [--dry-run] --bucket B --name NAME [--project P]
#                       [--family F] [--key KEY] IMAGE.img
#
# Copies IMAGE.img to a temporary disk.raw, grows it to a whole number of
# GiB (sparse; sgdisk -e moves the backup GPT to the new end), packs it as
# Compute Engine wants (tar --format=oldgnu -Sczf, one file named
# disk.raw), uploads the archive to gs://B/KEY (KEY defaults to
# NAME.tar.gz) and creates image NAME from it with the UEFI_COMPATIBLE
# guest OS feature; prints NAME on stdout, progress and each command on
# stderr. The archive in the bucket is kept; the temporary files are
# removed. --dry-run prints every command, one a line after "+ ", and runs
# none. Exit status: 0 done, 1 failed (the reason on stderr), 2 usage.
#
# The image does not run on Compute Engine yet: its instances have gVNIC
# or virtio-net cards and virtio-scsi or NVMe disks, and the appliance has
# no gVNIC, virtio-scsi or NVMe driver (docs/deploy.md).
set -euo pipefail

# shellcheck disable=SC2034  # PROG and USAGE are read by upload-common.sh
PROG=gce-upload
USAGE="usage: tools/gce-upload.sh [--dry-run] --bucket B --name NAME [--project P] [--family F] [--key KEY] IMAGE.img"
GIB=$((1 << 30))

# shellcheck disable=SC1091  # upload-common.sh, checked on its own
. "$(dirname "$0")/upload-common.sh"

# run CMD...: print it; unless --dry-run, run it (its output to stderr).
run() {
    if ((dry_run)); then
        show "$@"
        return
    fi
    show "$@" >&2
    "$@" >&2 || die "failed: $*"
}

# run_quiet CMD...: as run, its output shown only if it fails (sgdisk warns
# about the kernel's partition table even for a file).
run_quiet() {
    local out
    if ((dry_run)); then
        show "$@"
        return
    fi
    show "$@" >&2
    out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; die "failed: $*"; }
}

dry_run=0 bucket="" name="" project="" family="" key="" image=""
while [ $# -gt 0 ]; do
    case $1 in
    --dry-run) dry_run=1; shift ;;
    --bucket | --name | --project | --family | --key)
        [ $# -ge 2 ] || usage "$1 needs a value"
        case $1 in
        --bucket) bucket=$2 ;;
        --name) name=$2 ;;
        --project) project=$2 ;;
        --family) family=$2 ;;
        --key) key=$2 ;;
        esac
        shift 2 ;;
    -h | --help) echo "$USAGE"; exit 0 ;;
    --) shift; break ;;
    -*) usage "unknown option $1" ;;
    *) [ -z "$image" ] || usage "one image only"; image=$1; shift ;;
    esac
done
if [ $# -gt 0 ]; then
    if [ -n "$image" ] || [ $# -gt 1 ]; then usage "one image only"; fi
    image=$1
fi
[ -n "$bucket" ] || usage "--bucket is required"
[ -n "$name" ] || usage "--name is required"
[ -n "$image" ] || usage "the image file is required"
# Compute Engine resource names (RFC 1035 labels) and Cloud Storage bucket names.
gce_name_re='^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$'
[[ $bucket =~ ^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$ ]] || usage "--bucket $bucket: a Cloud Storage bucket name (no gs://)"
[[ $name =~ $gce_name_re ]] || usage "--name $name: lower-case letters, digits and -, a letter first, at most 63"
[ -z "$family" ] || [[ $family =~ $gce_name_re ]] || usage "--family $family: lower-case letters, digits and -, a letter first, at most 63"
key=${key:-$name.tar.gz}
[[ $key =~ ^[A-Za-z0-9._/-]+$ ]] || usage "--key $key: letters, digits and ._/- only"
project_args=()
[ -z "$project" ] || project_args=(--project "$project")

# The image, checked before any command runs.
check_image "$image"
size=$(stat -c %s "$image")
gib=$(((size + GIB - 1) / GIB))

if ((dry_run)); then
    work=${TMPDIR:-/tmp}/gce-upload.DRYRUN
else
    for c in sgdisk tar gsutil gcloud; do
        command -v "$c" >/dev/null || die "no $c command on PATH"
    done
    work=$(mktemp -d "${TMPDIR:-/tmp}/gce-upload.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi

run cp --sparse=always "$image" "$work/disk.raw"
run truncate -s "${gib}G" "$work/disk.raw"
run_quiet sgdisk -e "$work/disk.raw"
run tar --format=oldgnu -Sczf "$work/image.tar.gz" -C "$work" disk.raw
run gsutil cp "$work/image.tar.gz" "gs://$bucket/$key"
create=(gcloud compute images create "$name" --source-uri "gs://$bucket/$key"
    --guest-os-features=UEFI_COMPATIBLE --description "appliance disk image (${gib} GiB)")
[ -z "$family" ] || create+=(--family "$family")
run "${create[@]}" "${project_args[@]}"
if ((dry_run)); then
    note "dry run: nothing was run"
else
    note "image $name created; gs://$bucket/$key is kept (gsutil rm it when no longer needed)"
fi
note "Compute Engine needs gVNIC, virtio-scsi or NVMe drivers the appliance does not have yet (docs/deploy.md)"
echo "$name"
