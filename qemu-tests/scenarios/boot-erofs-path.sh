# shellcheck shell=bash
# root=/dev/vda boots an erofs base; no sharedroot ERROR line; notes the stage timings

scenario() { boot_from erofs /dev/vda; }
