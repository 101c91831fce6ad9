# shellcheck shell=bash
# the base disk attached WRITABLE: the booted system sees /sys/block/vda/ro = 1 and the image is
# byte-identical afterwards

scenario() { readonly_root ""; }
