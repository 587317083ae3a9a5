#!/usr/bin/env bash
# Opens a report's index.html in headless Chromium, takes a screenshot and
# fails when the page logs anything to the console (the report has no script,
# so any console message is an error: a blocked or missing resource, a parse
# problem) or when the screenshot is missing or empty.
#   scripts/check-html.sh INDEX_HTML SCREENSHOT_PNG
# CHROMIUM names the browser (default: chromium).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: scripts/check-html.sh INDEX_HTML SCREENSHOT_PNG" >&2
  exit 2
fi
page=$(realpath "$1")
shot=$2
browser=${CHROMIUM:-chromium}
if [ ! -f "$page" ]; then
  echo "check-html: $page: no such file" >&2
  exit 1
fi

profile=$(mktemp -d)
log="$shot.log"
trap 'rm -rf "$profile"' EXIT
rm -f "$shot"
status=0
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --enable-logging=stderr --v=0 \
  --user-data-dir="$profile" --screenshot="$shot" --window-size=1280,2000 \
  "file://$page" >"$log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  echo "check-html: $browser exited with $status; its log: $log" >&2
  tail -20 "$log" >&2
  exit 1
fi
if [ ! -s "$shot" ]; then
  echo "check-html: $browser wrote no screenshot to $shot; its log: $log" >&2
  exit 1
fi
if grep -q ':CONSOLE' "$log"; then
  echo "check-html: the page logged to the console:" >&2
  grep ':CONSOLE' "$log" >&2
  exit 1
fi
echo "check-html: rendered $page without console messages," \
  "screenshot $(stat -c %s "$shot") bytes"
