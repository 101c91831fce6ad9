# shellcheck shell=bash
# root=UUID=... boots an ext4 base; no sharedroot ERROR line; notes the stage timings

scenario() { boot_from ext4 "UUID=$QT_EXT4_UUID"; }
