#!/usr/bin/env bash
# Replication between hypermount and the JS stack with protocol v8 (hypercore 9.12.0): full,
# sparse and live, in both roles and both directions, and auto-detection as initiator.
V=8
JSDIR=${HM_JS_P8:-$(cd "$(dirname "$0")" && pwd)/js-p8}
source "$(dirname "$0")/replicate_js_lib.sh"
