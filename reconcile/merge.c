// SPDX-License-Identifier: GPL-2.0-or-later
#include "merge.h"

#include <errno.h>
#include <git2.h>
#include <string.h>

bool rc_is_binary(const char *p, size_t n)
{
    return p && memchr(p, 0, n < 8000 ? n : 8000) != NULL;
}

static git_merge_file_input input_of(const struct rc_buf *b, const char *path)
{
    git_merge_file_input in;
    git_merge_file_input_init(&in, GIT_MERGE_FILE_INPUT_VERSION);
    in.ptr = b->data ? b->data : "";
    in.size = b->len;
    in.path = path;
    in.mode = 0100644;
    return in;
}

int rc_merge3(const struct rc_buf *base, const struct rc_buf *ours, const struct rc_buf *theirs,
              const char *path, struct rc_buf *out)
{
    if (rc_is_binary(base->data, base->len) || rc_is_binary(ours->data, ours->len) ||
        rc_is_binary(theirs->data, theirs->len))
        return -EMEDIUMTYPE;
    /* libgit2 wants its global state (allocator) set up; init/shutdown are refcounted. */
    if (git_libgit2_init() < 0)
        return -EIO;
    git_merge_file_input a = input_of(base, path), o = input_of(ours, path),
                         t = input_of(theirs, path);
    git_merge_file_options opts;
    git_merge_file_options_init(&opts, GIT_MERGE_FILE_OPTIONS_VERSION);
    opts.ancestor_label = "merge base";
    opts.our_label = "host";
    opts.their_label = "new base";
    opts.flags = GIT_MERGE_FILE_STYLE_DIFF3;
    git_merge_file_result res = {0};
    int r = git_merge_file(&res, &a, &o, &t, &opts) < 0 ? -EIO : 0;
    if (r == 0)
        r = rc_buf_add(out, res.ptr ? res.ptr : "", res.len);
    if (r == 0)
        r = res.automergeable ? 1 : 0;
    git_merge_file_result_free(&res);
    git_libgit2_shutdown();
    return r;
}

int rc_unified_diff(const struct rc_buf *a, const struct rc_buf *b, const char *path,
                    struct rc_buf *out)
{
    if (git_libgit2_init() < 0)
        return -EIO;
    git_patch *patch = NULL;
    git_buf text = GIT_BUF_INIT;
    int r = git_patch_from_buffers(&patch, a->data, a->len, path, b->data, b->len, path, NULL);
    if (r == 0 && patch)
        r = git_patch_to_buf(&text, patch);
    r = r < 0 ? -EIO : rc_buf_add(out, text.ptr ? text.ptr : "", text.size);
    git_buf_dispose(&text);
    git_patch_free(patch);
    git_libgit2_shutdown();
    return r;
}
