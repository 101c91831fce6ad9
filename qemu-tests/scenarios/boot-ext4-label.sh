# shellcheck shell=bash
# root=LABEL=... boots an ext4 base; no sharedroot ERROR line; notes the stage timings

scenario() { boot_from ext4 "LABEL=$QT_EXT4_LABEL"; }
