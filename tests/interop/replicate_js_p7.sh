#!/usr/bin/env bash
# Replication between hypermount and the JS stack with protocol v7 (hypercore 8.14.0): full,
# sparse and live, in both roles and both directions, and auto-detection as initiator.
V=7
JSDIR=${HM_JS_P7:-$(cd "$(dirname "$0")" && pwd)/js-p7}
source "$(dirname "$0")/replicate_js_lib.sh"
