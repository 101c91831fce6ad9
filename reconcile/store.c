// SPDX-License-Identifier: GPL-2.0-or-later
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#include "array.h"
#include "fsio.h"
#include "hash.h"
#include "io-util.h"
#include "walk.h"

#define MANIFEST_MAGIC "sharedroot-reconcile-snapshot 1\n"
#define MAX_STORE_FILE (256u << 20) /* manifests and history are text of bounded size */

static const char kind_chars[RC_KIND_COUNT] = {
    [RC_ABSENT] = '-',   [RC_FILE] = 'f',   [RC_DIR] = 'd',
    [RC_SYMLINK] = 'l',  [RC_FIFO] = 'p',   [RC_CHARDEV] = 'c',
    [RC_BLOCKDEV] = 'b', [RC_SOCKET] = 's', [RC_WHITEOUT] = 'w',
};

static int make_layout(int fd)
{
    static const char *const subdirs[] = {"objects", "snapshots", "backups", "tmp"};
    for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++)
        if (mkdirat(fd, subdirs[i], 0700) < 0 && errno != EEXIST)
            return -errno;
    return 0;
}

int rc_store_open_fd(int dfd, bool create, struct rc_store **out)
{
    _cleanup_close_ int fd = dfd;
    int r = create ? make_layout(fd) : 0;
    if (r < 0)
        return r;
    struct rc_store *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->dfd = take_fd(&fd);
    *out = s;
    return 0;
}

void rc_manifest_free(struct rc_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->e[i].path);
    free(m->e);
    free(m);
}

void rc_store_free(struct rc_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nloaded; i++)
        rc_manifest_free(s->loaded[i]);
    free(s->loaded);
    free(s->hist);
    if (s->dfd >= 0)
        close(s->dfd);
    free(s);
}

/* Read a small store file (history, a manifest) into a string. */
static int read_store_file(struct rc_store *s, const char *name, struct rc_buf *out)
{
    _cleanup_close_ int fd = rc_open_beneath(s->dfd, name, O_RDONLY);
    if (fd < 0)
        return fd;
    return rc_read_all(fd, MAX_STORE_FILE, out);
}

static int parse_history_line(const char *line, struct rc_history_entry *h)
{
    char fp[RC_HASH_HEX];
    long long sec;
    long nsec;
    unsigned char bin[32];
    int off = 0;
    if (sscanf(line, "%lld.%ld %64s%n", &sec, &nsec, fp, &off) != 3 || line[off] != 0 || nsec < 0 ||
        nsec > 999999999 || rc_unhex(fp, bin, 32) < 0)
        return -EINVAL;
    h->sec = sec;
    h->nsec = nsec;
    rc_hex(bin, 32, h->fingerprint); /* lower case, as snapshots are named */
    return 0;
}

/* Call fn for each line of text (no newline, NUL-terminated copy); a line holding a NUL byte
 * is given as is up to it. */
static int for_each_line(const char *text, size_t len, int (*fn)(void *ud, const char *line),
                         void *ud)
{
    int r = 0;
    for (size_t off = 0; r >= 0 && off < len;) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
        char *line = strndup(text + off, n);
        if (!line)
            return -ENOMEM;
        r = strlen(line) != n ? -EBADMSG : fn(ud, line);
        free(line);
        off += n + 1;
    }
    return r;
}

struct history_parse {
    struct rc_history_entry *v;
    size_t n, cap;
};

static int history_line(void *ud, const char *line)
{
    struct history_parse *h = ud;
    struct rc_history_entry e;
    if (parse_history_line(line, &e) < 0)
        return 0;
    int r = array_grow(&h->v, h->n, 1, &h->cap, sizeof *h->v);
    if (r >= 0)
        h->v[h->n++] = e;
    return r;
}

int rc_history_parse(const char *text, size_t len, struct rc_history_entry **out, size_t *n)
{
    struct history_parse h = {0};
    int r = for_each_line(text, len, history_line, &h);
    if (r == -EBADMSG)
        r = 0; /* a NUL byte: a torn or damaged line, skipped like any other */
    if (r < 0) {
        free(h.v);
        return r;
    }
    *out = h.v;
    *n = h.n;
    return 0;
}

/* (Re)load the history; a missing file is an empty history. */
static int load_history(struct rc_store *s)
{
    struct rc_buf b = {0};
    int r = read_store_file(s, "history", &b);
    free(s->hist);
    s->hist = NULL;
    s->nhist = 0;
    if (r >= 0)
        r = rc_history_parse(b.data, b.len, &s->hist, &s->nhist);
    rc_buf_done(&b);
    return r == -ENOENT ? 0 : r;
}

static int append_history(struct rc_store *s, const struct timespec *t, const char *fp)
{
    struct rc_buf b = {0};
    int r = read_store_file(s, "history", &b);
    if (r == -ENOENT)
        r = rc_buf_grow(&b, 0);
    if (r >= 0)
        r = rc_buf_printf(&b, "%lld.%09ld %s\n", (long long)t->tv_sec, t->tv_nsec, fp);
    if (r >= 0)
        r = rc_write_atomic(s->dfd, "history", b.data, b.len, 0600);
    rc_buf_done(&b);
    return r < 0 ? r : load_history(s);
}

int rc_manifest_format(const struct rc_manifest *m, struct rc_buf *out)
{
    int r = rc_buf_adds(out, MANIFEST_MAGIC);
    for (size_t i = 0; r >= 0 && i < m->n; i++) {
        const struct rc_version *v = &m->e[i].v;
        char hash[RC_HASH_HEX] = "-", meta[RC_HASH_HEX];
        if (v->have_hash)
            rc_hex(v->hash, 32, hash);
        rc_hex(v->meta, 32, meta);
        r = rc_buf_printf(out, "%c %o %u %u %" PRIu64 " %" PRIu64 " %s %s ", kind_chars[v->kind],
                          (unsigned)v->mode, (unsigned)v->uid, (unsigned)v->gid, (uint64_t)v->rdev,
                          v->size, hash, meta);
        if (r >= 0)
            r = rc_escape_c(out, m->e[i].path);
        if (r >= 0)
            r = rc_buf_adds(out, "\n");
    }
    return r;
}

static int kind_from_char(char c)
{
    for (int k = RC_FILE; k < RC_KIND_COUNT; k++)
        if (kind_chars[k] == c)
            return k;
    return -EINVAL;
}

static int manifest_add(struct rc_manifest *m, char *path, const struct rc_version *v)
{
    int r = array_grow(&m->e, m->n, 1, &m->cap, sizeof *m->e);
    if (r < 0)
        return r;
    m->e[m->n++] = (struct rc_manifest_entry){.path = path, .v = *v};
    return 0;
}

static int parse_manifest_line(void *ud, const char *line)
{
    struct rc_manifest *m = ud;
    char kc, hash[RC_HASH_HEX], meta[RC_HASH_HEX];
    unsigned mode, uid, gid;
    uint64_t rdev, size;
    int off = 0;
    if (sscanf(line, "%c %o %u %u %" SCNu64 " %" SCNu64 " %64s %64s %n", &kc, &mode, &uid, &gid,
               &rdev, &size, hash, meta, &off) != 8 ||
        off == 0 || mode > 07777)
        return -EBADMSG;
    int k = kind_from_char(kc);
    if (k < 0)
        return -EBADMSG;
    struct rc_version v = {.kind = (enum rc_kind)k,
                           .mode = mode,
                           .uid = uid,
                           .gid = gid,
                           .rdev = (dev_t)rdev,
                           .size = size};
    v.have_hash = strcmp(hash, "-") != 0;
    if (rc_unhex(meta, v.meta, 32) < 0 || (v.have_hash && rc_unhex(hash, v.hash, 32) < 0))
        return -EBADMSG;
    struct rc_buf p = {0};
    int r = rc_unescape_c(line + off, &p);
    if (r >= 0 && !rc_path_is_safe(p.data))
        r = -EBADMSG;
    if (r >= 0)
        r = manifest_add(m, p.data, &v);
    if (r < 0)
        rc_buf_done(&p);
    return r == -EINVAL ? -EBADMSG : r;
}

static int cmp_entries(const void *a, const void *b)
{
    return strcmp(((const struct rc_manifest_entry *)a)->path,
                  ((const struct rc_manifest_entry *)b)->path);
}

int rc_manifest_parse(const char *text, size_t len, struct rc_manifest **out)
{
    size_t ml = strlen(MANIFEST_MAGIC);
    *out = NULL;
    if (len < ml || memcmp(text, MANIFEST_MAGIC, ml) != 0)
        return -EBADMSG;
    struct rc_manifest *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    int r = for_each_line(text + ml, len - ml, parse_manifest_line, m);
    if (r >= 0 && m->n)
        qsort(m->e, m->n, sizeof *m->e, cmp_entries);
    /* a base has one version of each path: two lines for one path are not a manifest */
    for (size_t i = 1; r >= 0 && i < m->n; i++)
        if (strcmp(m->e[i - 1].path, m->e[i].path) == 0)
            r = -EBADMSG;
    if (r < 0) {
        rc_manifest_free(m);
        return r;
    }
    *out = m;
    return 0;
}

static int load_snapshot(struct rc_store *s, const char *fp, const struct rc_manifest **out)
{
    for (size_t i = 0; i < s->nloaded; i++)
        if (strcmp(s->loaded[i]->fingerprint, fp) == 0) {
            *out = s->loaded[i];
            return 0;
        }
    _cleanup_free_ char *name = rc_path_join("snapshots", fp);
    struct rc_buf b = {0};
    int r = name ? read_store_file(s, name, &b) : -ENOMEM;
    struct rc_manifest *m = NULL;
    if (r >= 0)
        r = rc_manifest_parse(b.data, b.len, &m);
    rc_buf_done(&b);
    struct rc_manifest **nl = r >= 0 ? realloc(s->loaded, (s->nloaded + 1) * sizeof *nl) : NULL;
    if (r >= 0 && !nl)
        r = -ENOMEM;
    if (r < 0) {
        rc_manifest_free(m);
        return r;
    }
    memcpy(m->fingerprint, fp, RC_HASH_HEX);
    s->loaded = nl;
    s->loaded[s->nloaded++] = m;
    *out = m;
    return 0;
}

int rc_store_snapshot_at(struct rc_store *s, int64_t sec, long nsec, const struct rc_manifest **out)
{
    *out = NULL;
    if (!s->hist) {
        int r = load_history(s);
        if (r < 0)
            return r;
    }
    /* The newest recording not after the time; by timestamp, not by line order, in case
     * the clock was set back between boots. */
    const struct rc_history_entry *best = NULL;
    for (size_t i = 0; i < s->nhist; i++) {
        const struct rc_history_entry *h = &s->hist[i];
        bool not_after = h->sec < sec || (h->sec == sec && h->nsec <= nsec);
        bool newer = !best || h->sec > best->sec || (h->sec == best->sec && h->nsec >= best->nsec);
        if (not_after && newer)
            best = h;
    }
    return best ? load_snapshot(s, best->fingerprint, out) : 0;
}

void rc_store_object_name(const unsigned char hash[32], char out[80])
{
    char hex[RC_HASH_HEX];
    rc_hex(hash, 32, hex);
    snprintf(out, 80, "objects/%.2s/%s", hex, hex + 2);
}

/* Remember the store dir (dir, or the first of its parents) refused for being a symlink or
 * not a dir, for the message. */
static int refused(struct rc_store *s, const char *dir, int r)
{
    if (r != -ELOOP && r != -ENOTDIR)
        return r;
    snprintf(s->refused, sizeof s->refused, "%s", dir);
    for (char *slash = s->refused; (slash = strchr(slash, '/')); slash++) {
        struct stat st;
        *slash = 0;
        if (rc_stat_beneath(s->dfd, s->refused, &st) < 0 || !S_ISDIR(st.st_mode))
            break;
        *slash = '/';
    }
    return r;
}

static bool object_exists(struct rc_store *s, const unsigned char hash[32])
{
    char name[80];
    struct stat st;
    rc_store_object_name(hash, name);
    return rc_stat_beneath(s->dfd, name, &st) == 0 && S_ISREG(st.st_mode);
}

/* The object of hash, opened beneath the store (a symlinked objects/ or objects/ab is -ELOOP). */
static int open_object(struct rc_store *s, const unsigned char hash[32])
{
    char name[80];
    rc_store_object_name(hash, name);
    int fd = rc_open_beneath(s->dfd, name, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    name[10] = 0;
    return refused(s, name, fd);
}

/* Whether what was read of an object (its digest) matches its name. */
static int check_object(struct rc_store *s, const unsigned char hash[32],
                        const unsigned char got[32])
{
    if (memcmp(hash, got, 32) == 0)
        return 0;
    rc_store_object_name(hash, s->bad_object);
    return -EBADMSG;
}

char *rc_store_bad_object_text(const struct rc_store *s)
{
    char *t = NULL;
    if (s && !s->bad_object[0] && s->refused[0]) {
        if (asprintf(&t,
                     "%s in the store is a symlink or not a dir: refused, nothing was read or "
                     "written through it (a guest may have planted it)",
                     s->refused) < 0)
            return NULL;
        return t;
    }
    if (!s || !s->bad_object[0])
        return NULL;
    if (asprintf(&t,
                 "store object %s does not match its name (damaged, or written by someone "
                 "else): it was not used; delete it (the next change of the base records it "
                 "again)",
                 s->bad_object) < 0)
        return NULL;
    return t;
}

int rc_store_read_object(struct rc_store *s, const unsigned char hash[32], size_t max,
                         struct rc_buf *out)
{
    _cleanup_close_ int fd = open_object(s, hash);
    if (fd < 0)
        return fd;
    unsigned char got[32];
    int r = rc_read_all(fd, max, out);
    if (r >= 0)
        r = rc_hash_buf(out->data, out->len, got);
    if (r >= 0 && (r = check_object(s, hash, got)) < 0) {
        out->len = 0; /* never content that is not what it claims */
        out->data[0] = 0;
    }
    return r;
}

/* Copy in to out while hashing what was copied. */
static int copy_hashing(int in, int out, unsigned char got[32])
{
    struct rc_sha sha;
    char chunk[65536];
    int r = rc_sha_init(&sha);
    while (r >= 0) {
        ssize_t n = read(in, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r = n < 0 ? -errno : 0;
            break;
        }
        r = rc_sha_update(&sha, chunk, (size_t)n);
        if (r >= 0)
            r = write_all(out, chunk, (size_t)n);
    }
    if (r < 0) {
        rc_sha_done(&sha);
        return r;
    }
    return rc_sha_final(&sha, got);
}

int rc_store_copy_object(struct rc_store *s, const unsigned char hash[32], int out)
{
    _cleanup_close_ int fd = open_object(s, hash);
    if (fd < 0)
        return fd;
    unsigned char got[32];
    int r = copy_hashing(fd, out, got);
    return r < 0 ? r : check_object(s, hash, got);
}

/* Write what fd holds to tmp/, fsync, then rename to its object name. Both dirs are opened
 * beneath the store: a guest's symlinked tmp/, objects/ or objects/ab is refused (-ELOOP).
 * What was copied is hashed again: content that changed since it was hashed is -ESTALE. */
static int write_object(struct rc_store *s, int fd, const unsigned char hash[32])
{
    char tmp[64], name[80];
    unsigned char got[32];
    snprintf(tmp, sizeof tmp, "obj.%d.%u", (int)getpid(), s->tmp_counter++);
    rc_store_object_name(hash, name);
    name[10] = 0; /* "objects/ab" */
    _cleanup_close_ int tdir = refused(s, "tmp", rc_mkdirs(s->dfd, "tmp", 0700));
    _cleanup_close_ int odir = tdir >= 0 ? refused(s, name, rc_mkdirs(s->dfd, name, 0700)) : -1;
    if (tdir < 0 || odir < 0)
        return tdir < 0 ? tdir : odir;
    (void)unlinkat(tdir, tmp, 0);
    _cleanup_close_ int out =
        openat(tdir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (out < 0)
        return -errno;
    int r = lseek(fd, 0, SEEK_SET) < 0 ? -errno : copy_hashing(fd, out, got);
    if (r >= 0 && memcmp(got, hash, 32) != 0)
        r = -ESTALE;
    if (r >= 0 && fsync(out) < 0)
        r = -errno;
    if (r >= 0 && renameat(tdir, tmp, odir, name + 11) < 0)
        r = -errno;
    if (r < 0)
        (void)unlinkat(tdir, tmp, 0);
    return r;
}

int rc_store_put_fd(struct rc_store *s, int fd, unsigned char hash[32], bool *added)
{
    if (lseek(fd, 0, SEEK_SET) < 0)
        return -errno;
    int r = rc_hash_fd(fd, hash, NULL);
    if (r < 0)
        return r;
    *added = !object_exists(s, hash);
    return *added ? write_object(s, fd, hash) : 0;
}

int rc_store_put_buf(struct rc_store *s, const void *p, size_t n, unsigned char hash[32])
{
    int r = rc_hash_buf(p, n, hash);
    if (r < 0 || object_exists(s, hash))
        return r;
    /* An anonymous memory file lets write_object stream it like any other content. */
    _cleanup_close_ int fd = memfd_create("rc-object", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    r = write_all(fd, p, n);
    return r < 0 ? r : write_object(s, fd, hash);
}

/* State of a manifest walk (rc_manifest_from_dir). */
struct manifest_walk {
    struct rc_manifest *m;
    struct rc_store *store;
    size_t added;
};

static int store_content(struct manifest_walk *w, int dirfd, const char *name, struct rc_version *v)
{
    bool added = false;
    int r = 0;
    if (v->kind == RC_FILE) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            r = -errno;
        else if (v->size > RC_STORE_CONTENT_MAX)
            r = rc_hash_fd(fd, v->hash, NULL); /* the hash classifies; no merge needs it */
        else
            r = rc_store_put_fd(w->store, fd, v->hash, &added);
    } else if (v->kind == RC_SYMLINK) {
        struct rc_buf t = {0};
        r = rc_read_symlink(dirfd, name, &t);
        if (r >= 0) {
            added = !object_exists(w->store, v->hash);
            r = rc_store_put_buf(w->store, t.data, t.len, v->hash);
        }
        rc_buf_done(&t);
    }
    w->added += added;
    return r;
}

static int manifest_visit(void *ud, struct rc_walk_entry *e)
{
    struct manifest_walk *w = ud;
    int dirfd = e->dirfd;
    const char *name = e->name, *relpath = e->path;
    const struct stat *st = e->st;
    struct rc_version v;
    /* With a store, files are hashed while being stored, not twice. */
    bool stored_file = w->store && S_ISREG(st->st_mode);
    int r = rc_inspect(dirfd, name, RC_MARKERS_NONE, false, !stored_file, &v);
    if (r == -ENOENT)
        return 0;
    if (r >= 0 && w->store)
        r = store_content(w, dirfd, name, &v);
    if (r >= 0 && stored_file)
        v.have_hash = true;
    char *p = r >= 0 ? strdup(relpath) : NULL;
    if (r >= 0 && !p)
        r = -ENOMEM;
    if (r >= 0)
        r = manifest_add(w->m, p, &v);
    if (r < 0)
        free(p);
    return r;
}

int rc_manifest_from_dir(int rootfd, const char *sub, unsigned max_depth, struct rc_store *store,
                         size_t *added, struct rc_manifest **out, char **too_deep)
{
    struct manifest_walk w = {.m = calloc(1, sizeof *w.m), .store = store};
    if (!w.m)
        return -ENOMEM;
    struct rc_walk wk = {.rootfd = rootfd,
                         .rootfd2 = -1,
                         .start = sub,
                         .max_depth = max_depth,
                         .fn = manifest_visit,
                         .ud = &w,
                         .too_deep = too_deep};
    int r = rc_walk(&wk);
    if (r < 0) {
        rc_manifest_free(w.m);
        return r;
    }
    if (w.m->n)
        qsort(w.m->e, w.m->n, sizeof *w.m->e, cmp_entries);
    if (added)
        *added = w.added;
    *out = w.m;
    return 0;
}

const struct rc_manifest_entry *rc_manifest_find(const struct rc_manifest *m, const char *path)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->e[mid].path, path);
        if (c == 0)
            return &m->e[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The bytes a manifest entry adds to a digest: its relative path, kind, mode, owner, rdev,
 * content hash and xattr digest. */
static int entry_record(struct rc_buf *b, const char *rel, const struct rc_version *v)
{
    struct {
        uint32_t kind, mode, uid, gid;
        uint64_t rdev;
    } fixed = {v->kind, v->mode, v->uid, v->gid, (uint64_t)v->rdev};
    int r = rc_buf_add(b, rel, strlen(rel) + 1);
    if (r >= 0)
        r = rc_buf_add(b, &fixed, sizeof fixed);
    if (r >= 0 && v->have_hash)
        r = rc_buf_add(b, v->hash, 32);
    if (r >= 0)
        r = rc_buf_add(b, v->meta, 32);
    return r;
}

static int digest_entry(struct rc_sha *s, const char *rel, const struct rc_version *v)
{
    struct rc_buf b = {0};
    int r = entry_record(&b, rel, v);
    if (r >= 0)
        r = rc_sha_update(s, b.data, b.len);
    rc_buf_done(&b);
    return r;
}

int rc_manifest_subtree_digest(const struct rc_manifest *m, const char *dir, unsigned char out[32])
{
    _cleanup_free_ char *prefix = rc_path_join(dir, "");
    if (!prefix)
        return -ENOMEM;
    size_t pl = strlen(prefix);
    struct rc_sha s;
    int r = rc_sha_init(&s);
    for (size_t i = 0; r >= 0 && i < m->n; i++)
        if (strncmp(m->e[i].path, prefix, pl) == 0)
            r = digest_entry(&s, m->e[i].path + pl, &m->e[i].v);
    if (r < 0) {
        rc_sha_done(&s);
        return r;
    }
    return rc_sha_final(&s, out);
}

/* State of a fingerprint walk: the stat pass, then (when the stat evidence cannot be trusted)
 * the content pass. While the content pass may still be needed, the stat pass also collects
 * what it would digest (content), so that it need not walk the dir a second time. */
struct fp_walk {
    struct rc_sha sha;
    bool image_fs;   /* a read-only image format: the content pass is needed whatever the times */
    bool times_kept; /* some entry's ctime differs from its mtime: times the kernel kept */
    uint64_t file_bytes;
    size_t files;
    bool collecting; /* content holds the content pass of every entry so far */
    struct rc_buf content;
};

/* What the content pass digests for an entry: its data (files), target (symlinks) and xattrs,
 * as a manifest line holds them. */
static int content_record(struct rc_buf *b, struct rc_walk_entry *e)
{
    struct rc_version v;
    int r = rc_inspect_stat(e->dirfd, e->name, e->st, RC_MARKERS_NONE, false,
                            S_ISREG(e->st->st_mode), &v);
    return r < 0 ? r : entry_record(b, e->path, &v);
}

/* Keep collecting the content pass only while it can still be needed: a base whose times the
 * kernel kept (not an image format) or with too many bytes of files gets none. What cannot be
 * collected (an entry that cannot be read, more than rc_fp_collect_max bytes of records) is left
 * to the second walk, which fails as the content pass always did, if it is needed at all. */
size_t rc_fp_collect_max = 32u << 20;

static void collect_content(struct fp_walk *w, struct rc_walk_entry *e)
{
    if (w->collecting &&
        (rc_fp_evidence_for(w->image_fs, w->times_kept, w->file_bytes) != RC_FP_CONTENT ||
         content_record(&w->content, e) < 0 || w->content.len > rc_fp_collect_max)) {
        w->collecting = false;
        rc_buf_done(&w->content);
    }
}

static int fp_visit(void *ud, struct rc_walk_entry *e)
{
    struct fp_walk *w = ud;
    const struct stat *st = e->st;
    if (st->st_ctim.tv_sec != st->st_mtim.tv_sec || st->st_ctim.tv_nsec != st->st_mtim.tv_nsec)
        w->times_kept = true;
    if (S_ISREG(st->st_mode)) {
        w->files++;
        w->file_bytes += (uint64_t)st->st_size;
    }
    int r = rc_sha_stat(&w->sha, e->path, st);
    if (r >= 0 && S_ISLNK(st->st_mode)) {
        struct rc_buf t = {0};
        r = rc_read_symlink(e->dirfd, e->name, &t);
        if (r >= 0)
            r = rc_sha_update(&w->sha, t.data, t.len + 1);
        rc_buf_done(&t);
    }
    if (r >= 0)
        collect_content(w, e);
    return r;
}

/* The content pass on its own, when the stat pass stopped collecting it. */
static int fp_content_visit(void *ud, struct rc_walk_entry *e)
{
    struct fp_walk *w = ud;
    struct rc_buf b = {0};
    int r = content_record(&b, e);
    if (r >= 0)
        r = rc_sha_update(&w->sha, b.data, b.len);
    rc_buf_done(&b);
    return r;
}

bool rc_fp_image_fs(long f_type)
{
    switch ((unsigned long)f_type & 0xffffffffu) {
    case 0xE0F5E1E2u: /* erofs */
    case 0x73717368u: /* squashfs */
    case 0x28CD3D45u: /* cramfs */
    case 0x00009660u: /* iso9660 */
    case 0x00007275u: /* romfs */
        return true;
    default:
        return false;
    }
}

enum rc_fp_evidence rc_fp_evidence_for(bool image_fs, bool times_kept, uint64_t file_bytes)
{
    if (!image_fs && times_kept)
        return RC_FP_STAT;
    return file_bytes <= RC_FP_CONTENT_MAX ? RC_FP_CONTENT : RC_FP_STAT_TOO_LARGE;
}

/* The fingerprint of a dir of an untouched sealed image: its filesystem's UUID and the dir's
 * own stat record (its inode number tells /etc from /var; a tag no stat-walk fingerprint
 * starts with). */
static int fingerprint_untouched(int lowerfd, struct rc_fp_info *info, char out[RC_HASH_HEX])
{
    struct rc_sha sha;
    struct stat st;
    if (fstat(lowerfd, &st) < 0)
        return -errno;
    info->evidence = RC_FP_SEALED_UNTOUCHED;
    info->sealed = true;
    int r = rc_sha_init(&sha);
    if (r < 0)
        return r;
    r = rc_sha_update(&sha, "sharedroot-fp-sealed-1", 23);
    if (r >= 0)
        r = rc_sha_update(&sha, info->fs_id, strlen(info->fs_id) + 1);
    if (r >= 0)
        r = rc_sha_stat(&sha, "", &st);
    return rc_sha_final_hex(&sha, r, out);
}

int rc_fingerprint_fd(int lowerfd, unsigned max_depth, struct rc_fp_info *info,
                      char out[RC_HASH_HEX], char **too_deep)
{
    struct fp_walk w = {.collecting = true};
    struct rc_fp_info none;
    struct statfs sfs;
    if (!info)
        info = &none;
    *info = (struct rc_fp_info){0};
    if (fstatfs(lowerfd, &sfs) < 0)
        return -errno;
    w.image_fs = rc_fp_image_fs((long)sfs.f_type);
    /* A sealed image never written since sharedroot-mkbase built it holds the tree its UUID
     * was derived from: the UUID and which dir of it this is make the fingerprint, no walk. */
    if (rc_fs_untouched_seal(lowerfd, info->fs_id, sizeof info->fs_id) == 1)
        return fingerprint_untouched(lowerfd, info, out);
    /* The filesystem's identity (type and UUID) counts: a rebuilt image usually gets a new UUID
     * (sharedroot-mkbase derives it from the tree's content), which a stat walk of a tree
     * too large to hash cannot see. */
    (void)rc_fs_identity(lowerfd, info->fs_id, sizeof info->fs_id, &info->sealed);
    /* An image whose UUID is its content's digest needs no content pass: the UUID tells
     * another build from this one, the stat walk a change made in place. */
    w.collecting = !info->sealed;
    struct rc_walk wk = {.rootfd = lowerfd,
                         .rootfd2 = -1,
                         .start = "",
                         .max_depth = max_depth,
                         .fn = fp_visit,
                         .ud = &w,
                         .too_deep = too_deep};
    int r = rc_sha_init(&w.sha);
    if (r < 0)
        return r;
    r = rc_sha_update(&w.sha, "sharedroot-fp-2", 16);
    if (r >= 0)
        r = rc_sha_update(&w.sha, info->fs_id, strlen(info->fs_id) + 1);
    if (r >= 0 && info->sealed)
        r = rc_sha_update(&w.sha, "sealed", 7);
    if (r >= 0)
        r = rc_walk(&wk);
    if (r >= 0) {
        info->evidence = info->sealed ? RC_FP_SEALED
                                      : rc_fp_evidence_for(w.image_fs, w.times_kept, w.file_bytes);
        info->image_fs = w.image_fs;
        info->files = w.files;
        info->file_bytes = w.file_bytes;
    }
    /* The content pass follows the stat pass in the digest: collected on the way when it
     * could be, else a second walk (never both: collecting stops for good). */
    if (r >= 0 && info->evidence == RC_FP_CONTENT && w.collecting)
        r = rc_sha_update(&w.sha, w.content.data, w.content.len);
    else if (r >= 0 && info->evidence == RC_FP_CONTENT) {
        wk.fn = fp_content_visit;
        r = rc_walk(&wk);
    }
    rc_buf_done(&w.content);
    return rc_sha_final_hex(&w.sha, r, out);
}

static bool snapshot_exists(struct rc_store *s, const char *fp)
{
    char name[128];
    struct stat st;
    snprintf(name, sizeof name, "snapshots/%s", fp);
    return rc_stat_beneath(s->dfd, name, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether the snapshot text equals that of the snapshot named fp (a new fingerprint of the
 * same content: stat evidence that changed, or an older fingerprint rule). */
static bool same_as_snapshot(struct rc_store *s, const char *fp, const struct rc_buf *text)
{
    _cleanup_free_ char *name = rc_path_join("snapshots", fp);
    struct rc_buf old = {0};
    bool same = name && read_store_file(s, name, &old) >= 0 && old.len == text->len &&
                memcmp(old.data, text->data, text->len) == 0;
    rc_buf_done(&old);
    return same;
}

static int write_snapshot(struct rc_store *s, int lowerfd, unsigned max_depth,
                          struct rc_record_result *res, char **too_deep)
{
    struct rc_manifest *m = NULL;
    int r = rc_manifest_from_dir(lowerfd, "", max_depth, s, &res->objects_added, &m, too_deep);
    if (r < 0)
        return r;
    res->entries = m->n;
    struct rc_buf b = {0};
    r = rc_manifest_format(m, &b);
    rc_manifest_free(m);
    if (r >= 0 && s->nhist > 0)
        res->same_content = same_as_snapshot(s, s->hist[s->nhist - 1].fingerprint, &b);
    _cleanup_close_ int sdir =
        r >= 0 ? rc_open_beneath(s->dfd, "snapshots", O_RDONLY | O_DIRECTORY) : -1;
    if (r >= 0 && sdir < 0)
        r = sdir;
    if (r >= 0)
        r = rc_write_atomic(sdir, res->fingerprint, b.data, b.len, 0400);
    rc_buf_done(&b);
    return r;
}

bool rc_store_prepared_unrecorded(struct rc_store *s)
{
    struct stat st;
    if (!s->hist && load_history(s) < 0)
        return false; /* the classification reads it again and reports the error */
    return s->nhist == 0 && rc_stat_beneath(s->dfd, RC_STORE_PREPARED, &st) == 0 &&
           S_ISREG(st.st_mode);
}

int rc_store_record(struct rc_store *s, int lowerfd, unsigned max_depth,
                    struct rc_record_result *res, char **too_deep)
{
    /* The coarse clock is what the kernel stamps ctimes with: a file the host changes after
     * this point gets a ctime not before it. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME_COARSE, &now);
    *res = (struct rc_record_result){0};
    int r = rc_fingerprint_fd(lowerfd, max_depth, &res->fp, res->fingerprint, too_deep);
    if (r >= 0 && !s->hist) /* read when this store was opened (rc_store_prepared_unrecorded) */
        r = load_history(s);
    if (r < 0)
        return r;
    if (s->nhist > 0 && strcmp(s->hist[s->nhist - 1].fingerprint, res->fingerprint) == 0) {
        res->skipped = true;
        return 0;
    }
    /* A store prepared by sharedroot-instance create: its first recording covers the paths
     * create wrote before it (their ctimes are older), as if made at the dawn of time. */
    if (rc_store_prepared_unrecorded(s))
        now = (struct timespec){0, 0};
    /* a store opened without create (the unchanged-base fast path) may lack it */
    if ((r = make_layout(s->dfd)) < 0)
        return r;
    if (snapshot_exists(s, res->fingerprint))
        res->reused = true;
    else if ((r = write_snapshot(s, lowerfd, max_depth, res, too_deep)) < 0)
        return r;
    return append_history(s, &now, res->fingerprint);
}

struct rc_recorded {
    struct rc_store *store;
    const struct rc_manifest *m;
};

int rc_recorded_open(int storefd, struct rc_recorded **out)
{
    struct rc_recorded *rec = calloc(1, sizeof *rec);
    *out = NULL;
    if (!rec) {
        close(storefd);
        return -ENOMEM;
    }
    int r = rc_store_open_fd(storefd, false, &rec->store);
    if (r >= 0)
        r = rc_store_snapshot_at(rec->store, INT64_MAX, 0, &rec->m);
    if (r < 0 || !rec->m) {
        rc_recorded_free(rec);
        return r < 0 ? r : 0;
    }
    *out = rec;
    return 0;
}

bool rc_recorded_has(const struct rc_recorded *r, const char *path)
{
    return rc_manifest_find(r->m, path) != NULL;
}

const char *rc_recorded_fingerprint(const struct rc_recorded *r)
{
    return r->m->fingerprint;
}

void rc_recorded_free(struct rc_recorded *r)
{
    if (!r)
        return;
    rc_store_free(r->store);
    free(r);
}
