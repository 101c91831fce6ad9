/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A store's snapshot manifest (reconcile/store.c), read from the instance disk: guest-writable,
 * and read by PID 1 at boot. What parses is written back and parses again to the same entries
 * (paths escaped and unescaped byte for byte), and every path is a safe relative path. */
#include "fuzz.h"
#include "store.h"
#include "util.h"

static void same(const struct rc_manifest *a, const struct rc_manifest *b)
{
    if (a->n != b->n)
        abort();
    for (size_t i = 0; i < a->n; i++) {
        const struct rc_version *va = &a->e[i].v, *vb = &b->e[i].v;
        if (strcmp(a->e[i].path, b->e[i].path) != 0 || va->kind != vb->kind ||
            va->mode != vb->mode || va->uid != vb->uid || va->gid != vb->gid ||
            va->size != vb->size || va->have_hash != vb->have_hash ||
            (va->have_hash && memcmp(va->hash, vb->hash, 32) != 0) ||
            memcmp(va->meta, vb->meta, 32) != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rc_manifest *m = NULL, *again = NULL;
    struct rc_buf b = {0};

    if (size > (4u << 20))
        return 0;
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (rc_manifest_parse(copy, size, &m) == 0) {
        for (size_t i = 0; i < m->n; i++)
            if (!rc_path_is_safe(m->e[i].path))
                abort();
        if (rc_manifest_format(m, &b) < 0 || rc_manifest_parse(b.data, b.len, &again) < 0)
            abort();
        same(m, again);
        /* every lookup finds what it names */
        for (size_t i = 0; i < m->n; i++)
            if (!rc_manifest_find(m, m->e[i].path))
                abort();
    } else if (m) {
        abort();
    }
    rc_manifest_free(m);
    rc_manifest_free(again);
    rc_buf_done(&b);
    free(copy);
    return 0;
}
