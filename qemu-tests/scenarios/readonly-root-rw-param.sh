# shellcheck shell=bash
# the same with rw on the kernel command line: rw must not make the shared base writable

scenario() { readonly_root "rw"; }
