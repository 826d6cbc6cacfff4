#!/usr/bin/env bash
# Publish a built briefing site to an S3 bucket (optionally behind CloudFront).
#
#   deploy/s3-sync.sh s3://BUCKET[/PREFIX] [SITE_DIR]
#
# SITE_DIR defaults to site/ (run `briefing build . --base-url https://...` first).
# Needs the AWS CLI with credentials (AWS_PROFILE, or the usual AWS_* variables).
# Environment:
#   DRYRUN=1                      show what would change, change nothing
#   CLOUDFRONT_DISTRIBUTION_ID=…  invalidate the distribution's pages afterwards
#
# Order matters for visitors arriving mid-deploy: new hashed assets go up first,
# then pages and feeds (which reference them), and stale files are deleted last.
# Hashed assets (assets/style.3f2a9c1b.css) never change under one name, so they
# are cached for a year; everything else must be revalidated (no-cache).
set -euo pipefail

usage() { echo "usage: $0 s3://BUCKET[/PREFIX] [SITE_DIR]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
dest=${1%/}
site=${2:-site}
site=${site%/}
case $dest in s3://?*) ;; *) usage ;; esac
if [ ! -f "$site/index.html" ]; then
    echo "$0: no built site in $site/ (no index.html); run briefing build first" >&2
    exit 1
fi

immutable="public, max-age=31536000, immutable"
revalidate="no-cache"
if [ -n "${DRYRUN:-}" ]; then
    opts=(--no-progress --dryrun)
else
    opts=(--no-progress --only-show-errors)
fi

# upload CACHE_CONTROL CONTENT_TYPE FILTERS...: upload the files the filters select,
# with these headers ("" for CONTENT_TYPE: guessed from the extension). Filters apply
# in order and the last match wins; each call starts from --exclude '*' (nothing).
upload() {
    local cache=$1 type=$2
    shift 2
    local args=(--cache-control "$cache")
    if [ -n "$type" ]; then
        args+=(--content-type "$type")
    fi
    aws s3 sync "$site/" "$dest/" "${opts[@]}" "${args[@]}" --exclude '*' "$@"
}

# 1. Hashed assets, SVG with its type spelled out (some guessers get it wrong).
upload "$immutable" ""                     --include 'assets/*' --exclude 'assets/*.svg'
upload "$immutable" "image/svg+xml"        --include 'assets/*.svg'

# 2. Feeds, sitemaps, data and other SVG: right types, always revalidated.
upload "$revalidate" "application/xml; charset=utf-8"  --include '*.xml'  --exclude 'assets/*'
upload "$revalidate" "application/json; charset=utf-8" --include '*.json' --exclude 'assets/*'
upload "$revalidate" "image/svg+xml"                    --include '*.svg'  --exclude 'assets/*'

# 3. Pages and everything else (content type guessed from the extension).
upload "$revalidate" "" --include '*' --exclude 'assets/*' --exclude '*.xml' --exclude '*.json' --exclude '*.svg'

# 4. Only now remove what the site no longer has. Every present file went up above
#    (with its headers); --size-only keeps this step from uploading any again.
aws s3 sync "$site/" "$dest/" "${opts[@]}" --size-only --delete

if [ -n "${CLOUDFRONT_DISTRIBUTION_ID:-}" ] && [ -z "${DRYRUN:-}" ]; then
    # Pages are no-cache at the browser, but CloudFront keeps its own copy.
    aws cloudfront create-invalidation --distribution-id "$CLOUDFRONT_DISTRIBUTION_ID" \
        --paths '/*' >/dev/null
fi
echo "published $site/ to $dest/"
