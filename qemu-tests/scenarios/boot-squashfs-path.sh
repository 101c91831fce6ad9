# shellcheck shell=bash
# root=/dev/vda boots a squashfs base; no sharedroot ERROR line; notes the stage timings

scenario() { boot_from squashfs /dev/vda; }
