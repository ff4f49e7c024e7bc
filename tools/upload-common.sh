# tools/upload-common.sh: what tools/aws-upload.sh and tools/gce-upload.sh
# share, sourced by both after they set PROG and USAGE (and dry_run when
# parsing): messages, the printed form of a command, and the check that a
# file is an appliance disk image before any command runs.
# shellcheck shell=bash
# shellcheck disable=SC2034  # PROG and USAGE are the caller's

die() { echo "$PROG: $*" >&2; exit 1; }
usage() { [ $# -eq 0 ] || echo "$PROG: $*" >&2; echo "$USAGE" >&2; exit 2; }
note() { echo "$PROG: $*" >&2; }

# show WORD...: the command as one line after "+ ", quoted so that it can
# be pasted into a shell.
show() {
    local line="+" w
    for w in "$@"; do
        if [[ $w =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
            line+=" $w"
        else
            line+=" '${w//\'/\'\\\'\'}'"
        fi
    done
    printf '%s\n' "$line"
}

# check_image FILE: a file that is an appliance disk image (GPT with the
# appliance-esp partition, as tools/image.sh builds it), or die.
check_image() {
    [ -f "$1" ] || die "no image $1"
    [ "$(dd if="$1" bs=1 skip=512 count=8 status=none)" = "EFI PART" ] ||
        die "$1 is not a raw GPT disk image (make image builds one)"
    local entries
    entries=$(dd if="$1" bs=512 skip=2 count=32 status=none | tr -d '\0')
    [[ $entries == *appliance-esp* ]] ||
        die "$1 has no appliance-esp partition: not an appliance image (make image builds one)"
}
