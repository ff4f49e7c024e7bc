#!/usr/bin/env bash
# aws-upload.sh: the appliance's raw disk image (make image) as an EC2 AMI
# (docs/deploy.md).
#
#   tools/aws-upload.sh [--dry-run] --bucket B --name NAME [--region R]
#                       [--key KEY] [--timeout SECONDS] IMAGE.img
#
# Uploads IMAGE.img to s3://B/KEY (KEY defaults to NAME.img, characters
# other than letters, digits and ._- made -), imports it as an EBS
# snapshot (aws ec2 import-snapshot; needs the vmimport service role in the
# account), waits for the import (describe-import-snapshot-tasks every
# AWS_UPLOAD_POLL seconds, 15 by default, for at most --timeout seconds,
# 3600 by default), then registers an AMI from the snapshot (x86_64, HVM,
# ENA support, boot mode uefi-preferred) and prints its id on stdout;
# progress and each command go to stderr. The S3 object is kept.
# --dry-run prints every aws command, one a line after "+ ", with
# placeholder ids (import-snap-DRYRUN, snap-DRYRUN, ami-DRYRUN), and runs
# none. Exit status: 0 done, 1 failed (the reason on stderr), 2 usage.
#
# The AMI does not run on EC2 yet: Nitro instances have ENA network cards
# and NVMe disks, for which the appliance has no drivers (docs/deploy.md).
set -euo pipefail

# shellcheck disable=SC2034  # PROG and USAGE are read by upload-common.sh
PROG=aws-upload
USAGE="usage: tools/aws-upload.sh [--dry-run] --bucket B --name NAME [--region R] [--key KEY] [--timeout SECONDS] IMAGE.img"
POLL=${AWS_UPLOAD_POLL:-15}

# shellcheck disable=SC1091  # upload-common.sh, checked on its own
. "$(dirname "$0")/upload-common.sh"

# aws_run ARG...: run aws ARG... (its output to stderr).
aws_run() {
    local cmd=(aws "$@" "${region_args[@]}")
    if ((dry_run)); then
        show "${cmd[@]}"
        return
    fi
    show "${cmd[@]}" >&2
    "${cmd[@]}" >&2 || die "failed: ${cmd[*]}"
}

# aws_get VAR PLACEHOLDER ARG...: run aws ARG..., its output into VAR;
# with --dry-run only print it and set VAR to PLACEHOLDER.
aws_get() {
    local var=$1 placeholder=$2 out
    shift 2
    local cmd=(aws "$@" "${region_args[@]}")
    if ((dry_run)); then
        show "${cmd[@]}"
        printf -v "$var" '%s' "$placeholder"
        return
    fi
    show "${cmd[@]}" >&2
    out=$("${cmd[@]}") || die "failed: ${cmd[*]}"
    printf -v "$var" '%s' "$out"
}

dry_run=0 bucket="" name="" region="" key="" timeout=3600 image=""
task="" detail="" ami=""          # set by aws_get
while [ $# -gt 0 ]; do
    case $1 in
    --dry-run) dry_run=1; shift ;;
    --bucket | --name | --region | --key | --timeout)
        [ $# -ge 2 ] || usage "$1 needs a value"
        case $1 in
        --bucket) bucket=$2 ;;
        --name) name=$2 ;;
        --region) region=$2 ;;
        --key) key=$2 ;;
        --timeout) timeout=$2 ;;
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
[[ $bucket =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || usage "--bucket $bucket: an S3 bucket name (no s3://)"
name_re="^[][A-Za-z0-9()./@_' -]{3,128}\$"
[[ $name =~ $name_re ]] || usage "--name $name: 3-128 letters, digits, spaces and ()[]./-_'@"
[[ $timeout =~ ^[0-9]+$ ]] || usage "--timeout $timeout: seconds"
[[ $POLL =~ ^[0-9]+$ ]] || usage "AWS_UPLOAD_POLL=$POLL: seconds"
key=${key:-$(printf %s "$name" | tr -c 'A-Za-z0-9._-' -).img}
[[ $key =~ ^[A-Za-z0-9._/-]+$ ]] || usage "--key $key: letters, digits and ._/- only"
region_args=()
[ -z "$region" ] || region_args=(--region "$region")

# The image, checked before any command runs.
check_image "$image"
((dry_run)) || command -v aws >/dev/null || die "no aws command (the AWS CLI) on PATH"

aws_run s3 cp "$image" "s3://$bucket/$key"
aws_get task import-snap-DRYRUN ec2 import-snapshot --description "$name" \
    --disk-container "Format=raw,UserBucket={S3Bucket=$bucket,S3Key=$key}" \
    --query ImportTaskId --output text
[[ $task == import-snap-* ]] || die "import-snapshot gave no task id (got: $task)"
note "import task $task: waiting for the snapshot (at most $timeout s)"

deadline=$((SECONDS + timeout))
while :; do
    aws_get detail $'completed\tsnap-DRYRUN\t100\tdry run' ec2 describe-import-snapshot-tasks \
        --import-task-ids "$task" \
        --query 'ImportSnapshotTasks[0].SnapshotTaskDetail.[Status,SnapshotId,Progress,StatusMessage]' \
        --output text
    IFS=$'\t' read -r status snapshot progress message <<<"$detail"
    [ "$progress" != None ] || progress=""
    [ "$message" != None ] || message=""
    case $status in
    completed) break ;;
    deleting | deleted | error | failed)
        die "import task $task: $status: ${message:-no message}" ;;
    esac
    [ "$SECONDS" -lt "$deadline" ] ||
        die "import task $task still $status after $timeout s (it goes on: aws ec2 describe-import-snapshot-tasks --import-task-ids $task; then register the snapshot as docs/deploy.md shows)"
    note "import task $task: $status ${progress:+$progress% }${message:+($message)}"
    sleep "$POLL"
done
[[ $snapshot == snap-* ]] || die "import task $task completed without a snapshot id (got: $snapshot)"
note "snapshot $snapshot"

aws_get ami ami-DRYRUN ec2 register-image --name "$name" --description "$name" \
    --architecture x86_64 --virtualization-type hvm --root-device-name /dev/xvda \
    --block-device-mappings "DeviceName=/dev/xvda,Ebs={SnapshotId=$snapshot,VolumeType=gp3,DeleteOnTermination=true}" \
    --ena-support --boot-mode uefi-preferred --query ImageId --output text
[[ $ami == ami-* ]] || die "register-image gave no AMI id (got: $ami)"
if ((dry_run)); then
    note "dry run: nothing was run"
else
    note "AMI $ami registered; s3://$bucket/$key is kept (aws s3 rm it when no longer needed)"
fi
note "EC2 Nitro instances need ENA and NVMe drivers the appliance does not have yet (docs/deploy.md)"
echo "$ami"
