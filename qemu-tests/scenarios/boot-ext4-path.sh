# shellcheck shell=bash
# root=/dev/vda boots an ext4 base (disk attached readonly=on); no sharedroot ERROR line; notes
# the stage timings

scenario() { boot_from ext4 /dev/vda; }
