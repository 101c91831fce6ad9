// SPDX-License-Identifier: GPL-2.0-or-later
#include "merge.h"

#include <dlfcn.h>
#include <errno.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile.h"

bool rc_is_binary(const char *p, size_t n)
{
    return p && memchr(p, 0, n < 8000 ? n : 8000) != NULL;
}

/* libgit2 is loaded only when a line merge or a diff is wanted. Linking it would put it and
 * everything it needs (libssh2, libcrypto, Kerberos, mbedTLS: about 9 MB) into every
 * initramfs, while the default boot policy ("safe") never merges. An initramfs that should
 * merge at boot carries it: sharedroot-mkinitramfs --with-merge. */
struct git_api {
    void *handle;
    int (*init)(void);
    int (*input_init)(git_merge_file_input *, unsigned int);
    int (*options_init)(git_merge_file_options *, unsigned int);
    int (*merge_file)(git_merge_file_result *, const git_merge_file_input *,
                      const git_merge_file_input *, const git_merge_file_input *,
                      const git_merge_file_options *);
    void (*result_free)(git_merge_file_result *);
    int (*patch_from_buffers)(git_patch **, const void *, size_t, const char *, const void *,
                              size_t, const char *, const git_diff_options *);
    int (*patch_to_buf)(git_buf *, git_patch *);
    void (*buf_dispose)(git_buf *);
    void (*patch_free)(git_patch *);
};

/* libgit2's init/shutdown are refcounted, and a shutdown to zero tears down its global state
 * (TLS, allocator, random pool): about 8 ms a time, per merge. So the library stays loaded
 * (RTLD_NODELETE) and initialised for the life of the process, which is what libgit2 expects
 * of a program that uses it more than once; dlclose only drops our handle. */
static void git_close(struct git_api *g)
{
    if (g->handle)
        dlclose(g->handle);
    memset(g, 0, sizeof *g);
}

#define LOAD(field, symbol) ((*(void **)&g->field = dlsym(g->handle, symbol)) != NULL)

/* -ENOSYS when libgit2 cannot be loaded (not in this initramfs). */
static int git_open(struct git_api *g)
{
    const char *so = getenv("SHAREDROOT_LIBGIT2");

    memset(g, 0, sizeof *g);
    g->handle = dlopen(so && *so ? so : RC_LIBGIT2_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!g->handle)
        return -ENOSYS;
    if (!LOAD(init, "git_libgit2_init") || !LOAD(input_init, "git_merge_file_input_init") ||
        !LOAD(options_init, "git_merge_file_options_init") || !LOAD(merge_file, "git_merge_file") ||
        !LOAD(result_free, "git_merge_file_result_free") ||
        !LOAD(patch_from_buffers, "git_patch_from_buffers") ||
        !LOAD(patch_to_buf, "git_patch_to_buf") || !LOAD(buf_dispose, "git_buf_dispose") ||
        !LOAD(patch_free, "git_patch_free")) {
        dlclose(g->handle);
        g->handle = NULL;
        return -ENOSYS;
    }
    /* libgit2 wants its global state (allocator) set up; init/shutdown are refcounted. */
    if (g->init() < 0) {
        dlclose(g->handle);
        g->handle = NULL;
        return -EIO;
    }
    return 0;
}

bool rc_merge_available(void)
{
    struct git_api g;
    if (git_open(&g) < 0)
        return false;
    git_close(&g);
    return true;
}

static git_merge_file_input input_of(const struct git_api *g, const struct rc_buf *b,
                                     const char *path)
{
    git_merge_file_input in;
    g->input_init(&in, GIT_MERGE_FILE_INPUT_VERSION);
    in.ptr = b->data ? b->data : "";
    in.size = b->len;
    in.path = path;
    in.mode = 0100644;
    return in;
}

int rc_merge3(const struct rc_buf *base, const struct rc_buf *ours, const struct rc_buf *theirs,
              const char *path, struct rc_buf *out)
{
    struct git_api g;
    int r;

    if (rc_is_binary(base->data, base->len) || rc_is_binary(ours->data, ours->len) ||
        rc_is_binary(theirs->data, theirs->len))
        return -EMEDIUMTYPE;
    r = git_open(&g);
    if (r < 0)
        return r;
    git_merge_file_input a = input_of(&g, base, path), o = input_of(&g, ours, path),
                         t = input_of(&g, theirs, path);
    git_merge_file_options opts;
    g.options_init(&opts, GIT_MERGE_FILE_OPTIONS_VERSION);
    opts.ancestor_label = "merge base";
    opts.our_label = "host";
    opts.their_label = "new base";
    opts.flags = GIT_MERGE_FILE_STYLE_DIFF3;
    git_merge_file_result res = {0};
    r = g.merge_file(&res, &a, &o, &t, &opts) < 0 ? -EIO : 0;
    if (r == 0)
        r = rc_buf_add(out, res.ptr ? res.ptr : "", res.len);
    if (r == 0)
        r = res.automergeable ? 1 : 0;
    g.result_free(&res);
    git_close(&g);
    return r;
}

int rc_unified_diff(const struct rc_buf *a, const struct rc_buf *b, const char *path,
                    struct rc_buf *out)
{
    struct git_api g;
    git_patch *patch = NULL;
    git_buf text = GIT_BUF_INIT;
    int r = git_open(&g);

    if (r < 0)
        return r;
    r = g.patch_from_buffers(&patch, a->data, a->len, path, b->data, b->len, path, NULL);
    if (r == 0 && patch)
        r = g.patch_to_buf(&text, patch);
    r = r < 0 ? -EIO : rc_buf_add(out, text.ptr ? text.ptr : "", text.size);
    g.buf_dispose(&text);
    g.patch_free(patch);
    git_close(&g);
    return r;
}
