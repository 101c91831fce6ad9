// SPDX-License-Identifier: GPL-2.0-or-later
/* QEMU's transparent-huge-page advice, kept off the mappings where it costs host memory.
 *
 * QEMU (7.2 and later) calls madvise(MADV_HUGEPAGE) on every RAM block, a virtio-pmem base's
 * file mapping included; the host kernel then reads that file in 2 MiB folios at each fault,
 * two at a time, whatever the read-ahead of its filesystem: a dax guest that touches 26 MiB of
 * its base leaves 150-180 MiB of the image in the host page cache. QEMU has no switch for one
 * backend, so the guest's QEMU is started under a seccomp filter that makes that one call a
 * no-op returning 0: madvise(ADDR, LENGTH, MADV_HUGEPAGE) with LENGTH the base's size (QEMU
 * advises each block whole, at its page-aligned size). */
#pragma once

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

enum thp_advice {
    THP_ADVICE_RAM,  /* QEMU's advice on guest RAM only, not on a virtio-pmem base (default) */
    THP_ADVICE_ALL,  /* QEMU as it is: every RAM block, the base's mapping too */
    THP_ADVICE_NONE, /* no MADV_HUGEPAGE at all (guest RAM too: the host backs it in 4 KiB
                        pages unless its THP setting is "always") */
};

int thp_advice_parse(const char *s, enum thp_advice *out); /* 0 or -EINVAL */
const char *thp_advice_name(enum thp_advice a);

/* The filter for one QEMU. pmem_size: the virtio-pmem base's size in bytes, 0 for none.
 * out->len is 0 (and out->filter NULL) when nothing is to be filtered; else out->filter is
 * allocated (thp_filter_free). Negative errno on failure. Made before fork(). */
int thp_filter_make(enum thp_advice a, uint64_t pmem_size, struct sock_fprog *out);
/* The same for n sizes (several virtio-pmem bases; n = 0: none). At most THP_MAX_SIZES. */
#define THP_MAX_SIZES 16
int thp_filter_make_sizes(enum thp_advice a, const uint64_t *sizes, size_t n,
                          struct sock_fprog *out);

/* The sizes of the memory-backend-file objects on a QEMU command line (-object or --object,
 * QEMU's KEY=VALUE syntax or libvirt's JSON), each rounded up to the host page size as QEMU
 * maps it: what sharedroot-qemu(1) keeps the huge-page advice off. *n may be 0. -EINVAL with
 * why set (naming the argument) when such an object's size cannot be read, -E2BIG beyond
 * max. */
int thp_backend_sizes(int argc, char *const *argv, uint64_t *sizes, size_t max, size_t *n,
                      char *why, size_t why_len);
void thp_filter_free(struct sock_fprog *p);

/* In the child, just before exec: no_new_privs, then the filter (nothing for an empty one).
 * Async-signal-safe: no allocation. 0 or negative errno. */
int thp_filter_apply(const struct sock_fprog *p);
