# shellcheck shell=bash
# root=LABEL=... boots an erofs base; no sharedroot ERROR line; notes the stage timings

scenario() { boot_from erofs "LABEL=$QT_EROFS_LABEL"; }
