# shellcheck shell=bash
# root=UUID=... boots an erofs base; no sharedroot ERROR line; notes the stage timings

scenario() { boot_from erofs "UUID=$QT_EROFS_UUID"; }
