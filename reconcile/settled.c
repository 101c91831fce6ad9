// SPDX-License-Identifier: GPL-2.0-or-later
/* The settled mark and the unchanged-base fast path (settled.h). */
#include "settled.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "fsio.h"
#include "hash.h"
#include "util.h"
#include "walk.h"

#define MAGIC "sharedroot-reconcile-settled 1\n"
#define WALK_MAX_DEPTH 4096u

static bool is_hex64(const char *s, size_t n)
{
    if (n != RC_HASH_HEX - 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* "KEY HEX\n" at *p: copy HEX to out and advance */
static int take_hex(const char **p, const char *end, const char *key, char out[RC_HASH_HEX])
{
    size_t k = strlen(key);
    const char *nl;

    if ((size_t)(end - *p) < k + 1 || memcmp(*p, key, k) != 0 || (*p)[k] != ' ')
        return -EBADMSG;
    *p += k + 1;
    nl = memchr(*p, '\n', (size_t)(end - *p));
    if (!nl || !is_hex64(*p, (size_t)(nl - *p)))
        return -EBADMSG;
    memcpy(out, *p, RC_HASH_HEX - 1);
    out[RC_HASH_HEX - 1] = '\0';
    *p = nl + 1;
    return 0;
}

/* a decimal count below 10^9 followed by sep */
static int take_count(const char **p, const char *end, char sep, size_t *out)
{
    size_t v = 0, digits = 0;

    while (*p < end && **p >= '0' && **p <= '9' && digits < 9) {
        v = v * 10 + (size_t)(**p - '0');
        (*p)++;
        digits++;
    }
    if (digits == 0 || *p == end || **p != sep)
        return -EBADMSG;
    (*p)++;
    *out = v;
    return 0;
}

int rc_settled_parse(const char *text, size_t len, struct rc_settled *out)
{
    const char *p = text, *end = text + len;

    *out = (struct rc_settled){0};
    if (len > RC_SETTLED_MAX || len < sizeof MAGIC - 1 || memcmp(p, MAGIC, sizeof MAGIC - 1) != 0)
        return -EBADMSG;
    p += sizeof MAGIC - 1;
    if (take_hex(&p, end, "base", out->base) < 0 || take_hex(&p, end, "upper", out->upper) < 0 ||
        take_hex(&p, end, "options", out->options) < 0)
        return -EBADMSG;
    if ((size_t)(end - p) < 7 || memcmp(p, "counts ", 7) != 0)
        return -EBADMSG;
    p += 7;
    for (unsigned o = 0; o < RC_OUTCOME_COUNT; o++)
        if (take_count(&p, end, ' ', &out->counts[o]) < 0)
            return -EBADMSG;
    if (take_count(&p, end, '\n', &out->ignored) < 0 || p != end)
        return -EBADMSG;
    return 0;
}

int rc_settled_format(const struct rc_settled *s, char *buf, size_t n)
{
    size_t len;
    int w = snprintf(buf, n, MAGIC "base %s\nupper %s\noptions %s\ncounts", s->base, s->upper,
                     s->options);

    if (w < 0 || (size_t)w >= n)
        return -ENOSPC;
    len = (size_t)w;
    for (unsigned o = 0; o < RC_OUTCOME_COUNT; o++) {
        w = snprintf(buf + len, n - len, " %zu", s->counts[o]);
        if (w < 0 || (size_t)w >= n - len)
            return -ENOSPC;
        len += (size_t)w;
    }
    w = snprintf(buf + len, n - len, " %zu\n", s->ignored);
    return w < 0 || (size_t)w >= n - len ? -ENOSPC : 0;
}

struct upper_fp {
    struct rc_sha sha;
};

/* The upper's own fingerprint, not the base's (store.c): ctimes are what tells a change in an
 * upper, which lives on ext4 or xfs with real times, whatever a base's clamped times call
 * for; so a stat record per entry, never contents. */
static int upper_visit(void *ud, struct rc_walk_entry *e)
{
    return rc_sha_stat(&((struct upper_fp *)ud)->sha, e->path, e->st);
}

int rc_settled_upper_fp(int upperfd, char out[RC_HASH_HEX])
{
    struct upper_fp w;
    struct stat st;
    int r;

    if (fstat(upperfd, &st) < 0)
        return -errno;
    if ((r = rc_sha_init(&w.sha)) < 0)
        return r;
    r = rc_sha_update(&w.sha, "sharedroot-upper-1", 19);
    if (r >= 0)
        r = rc_sha_stat(&w.sha, "", &st); /* the upper dir itself: its markers move its ctime */
    if (r >= 0)
        r = rc_walk(&(struct rc_walk){.rootfd = upperfd,
                                      .rootfd2 = -1,
                                      .start = "",
                                      .max_depth = WALK_MAX_DEPTH,
                                      .fn = upper_visit,
                                      .ud = &w});
    return rc_sha_final_hex(&w.sha, r, out);
}

int rc_settled_options(enum rc_policy policy, const struct rc_options *opts, char out[RC_HASH_HEX])
{
    const struct rc_options none = {0};
    unsigned char bin[32];
    char *text = NULL;

    if (!opts)
        opts = &none;
    /* The default list named (the init passes it; "default" stands for it) is the default:
     * an admin's overlay-reconcile run without --ignore must find the boot's mark valid. */
    const char *ignore = opts->ignore;
    if (ignore && (strcmp(ignore, RC_IGNORE_DEFAULT) == 0 || strcmp(ignore, "default") == 0))
        ignore = NULL;
    if (asprintf(&text,
                 "policy=%s userxattr=%d inside=%d depth=%u merge=%llu hash=%llu ignore=%s%s",
                 rc_policy_name(policy), opts->userxattr, opts->list_inside, opts->max_depth,
                 (unsigned long long)opts->max_merge_size, (unsigned long long)opts->max_hash_size,
                 ignore ? "=" : "(default)", ignore ? ignore : "") < 0)
        return -ENOMEM;
    int r = rc_hash_buf(text, strlen(text), bin);
    free(text);
    if (r >= 0)
        rc_hex(bin, 32, out);
    return r;
}

static void step(const struct rc_options *opts, unsigned n)
{
    if (opts && opts->step_hook)
        opts->step_hook(opts->step_userdata, n);
}

/* the store and the upper, below the trusted root; -1 fds when either cannot be opened */
static void open_dirs(const struct rc_overlay *ov, int *storefd, int *upperfd)
{
    char *msg = NULL;

    *storefd = rc_open_typed(ov->store, ov->root, false, 0, &msg);
    free(msg);
    msg = NULL;
    *upperfd = rc_open_typed(ov->upper, ov->root, false, 0, &msg);
    free(msg);
}

static int read_mark(int storefd, struct rc_settled *m)
{
    _cleanup_close_ int fd = rc_open_beneath(storefd, RC_SETTLED_FILE, O_RDONLY);
    char buf[RC_SETTLED_MAX + 1];
    size_t len = 0;
    struct stat st;

    if (fd < 0)
        return fd;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return -EBADMSG;
    while (len < sizeof buf) {
        ssize_t n = read(fd, buf + len, sizeof buf - len);
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    return rc_settled_parse(buf, len, m);
}

int rc_settled_try_at(int storefd, int upperfd, const struct rc_overlay *ov, enum rc_policy policy,
                      const struct rc_options *opts, const struct rc_record_result *rec,
                      struct rc_report **out)
{
    struct rc_settled m;
    char upper[RC_HASH_HEX], options[RC_HASH_HEX];
    int r;

    *out = NULL;
    if (policy == RC_POLICY_REPORT || !ov->store || ov->merge_base_dir || !rec->skipped)
        return 0;
    r = storefd >= 0 && upperfd >= 0 ? read_mark(storefd, &m) : -ENOENT;
    if (r < 0 || strcmp(m.base, rec->fingerprint) != 0 ||
        rc_settled_options(policy, opts, options) < 0 || strcmp(m.options, options) != 0 ||
        rc_settled_upper_fp(upperfd, upper) < 0 || strcmp(m.upper, upper) != 0)
        return 0;
    r = rc_report_new(ov, out);
    if (r < 0) {
        rc_report_free(*out);
        *out = NULL;
        return r;
    }
    (*out)->policy = policy;
    (*out)->outcomes_reused = true;
    memcpy((*out)->counts, m.counts, sizeof m.counts);
    (*out)->n_ignored = m.ignored;
    return 1;
}

int rc_settled_try(const struct rc_overlay *ov, enum rc_policy policy,
                   const struct rc_options *opts, const struct rc_record_result *rec,
                   struct rc_report **out)
{
    int storefd, upperfd, r;

    *out = NULL;
    if (policy == RC_POLICY_REPORT || !ov->store || ov->merge_base_dir || !rec->skipped)
        return 0;
    open_dirs(ov, &storefd, &upperfd);
    r = rc_settled_try_at(storefd, upperfd, ov, policy, opts, rec, out);
    if (storefd >= 0)
        close(storefd);
    if (upperfd >= 0)
        close(upperfd);
    return r;
}

int rc_settled_unmark_at(int storefd, const struct rc_options *opts)
{
    if (faccessat(storefd, RC_SETTLED_FILE, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
        return 0;
    step(opts, RC_STEP_SETTLED_UNMARK);
    if (unlinkat(storefd, RC_SETTLED_FILE, 0) < 0 && errno != ENOENT)
        return -errno;
    return fsync(storefd) < 0 ? -errno : 0;
}

/* nothing for the policy to do: no error, no action planned */
static bool settled(const struct rc_report *rep)
{
    if (rep->error || rep->journal_pending)
        return false;
    for (size_t i = 0; i < rep->n_entries; i++)
        if (rep->entries[i].action != RC_ACT_NONE)
            return false;
    return true;
}

void rc_settled_update(const struct rc_overlay *ov, enum rc_policy policy,
                       const struct rc_options *opts, const struct rc_report *rep)
{
    struct rc_settled m = {0};
    char buf[RC_SETTLED_MAX];
    int storefd, upperfd;

    if (policy == RC_POLICY_REPORT || !ov->store || ov->merge_base_dir || !rep->recorded)
        return;
    open_dirs(ov, &storefd, &upperfd);
    if (storefd >= 0 && !settled(rep))
        (void)rc_settled_unmark_at(storefd, opts);
    else if (storefd >= 0 && upperfd >= 0 && rc_settled_upper_fp(upperfd, m.upper) >= 0 &&
             rc_settled_options(policy, opts, m.options) >= 0) {
        memcpy(m.base, rep->record.fingerprint, sizeof m.base);
        memcpy(m.counts, rep->counts, sizeof m.counts);
        m.ignored = rep->n_ignored;
        if (rc_settled_format(&m, buf, sizeof buf) == 0) {
            step(opts, RC_STEP_SETTLED_MARK);
            if (rc_write_atomic(storefd, RC_SETTLED_FILE, buf, strlen(buf), 0600) >= 0)
                step(opts, RC_STEP_SETTLED_MARKED);
        }
    }
    if (storefd >= 0)
        close(storefd);
    if (upperfd >= 0)
        close(upperfd);
}
