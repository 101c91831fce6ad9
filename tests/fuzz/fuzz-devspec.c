/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device specs from the kernel command line and layout files: root=, sharedroot.instance=,
 * sharedroot.tmp=, sharedroot.swap= (mounts/blockdev.c: paths, UUID=, LABEL=, PARTUUID=,
 * PARTLABEL=, /dev/disk/by-* links with udev's \xHH escapes), root=nbd:... (nbd/nbd-spec.c)
 * and ip= (net/ipconf.c). Each parser gets the same string. */
#include "blockdev.h"
#include "fuzz.h"
#include "ipconf.h"
#include "nbd-spec.h"
#include "why.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct blockdev_spec spec;
    struct nbd_spec nbd;
    struct ipconf ip;
    const char *why = NULL;
    char bwhy[WHY_MAX];
    char *s;

    if (size > 8192)
        return 0;
    s = fuzz_string(data, size);
    if (!s)
        return 0;
    (void)blockdev_spec_parse(s, &spec, bwhy, sizeof bwhy);
    if (nbd_spec_is(s) && nbd_spec_parse(s, &nbd, &why) == 0) {
        char buf[512];
        nbd_spec_describe(&nbd, buf, sizeof buf);
    }
    if (ipconf_parse(s, &ip, &why) == 0)
        (void)ipconf_check_all(&ip, 1, &why);
    free(s);
    return 0;
}
