// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every check of sharedroot-check-base on a tiny directory tree that has the problem (the
 * finding must appear) and on the same tree without it (it must not). Directories need no
 * privileges; images are tested in tests/priv/checkbase.sh.
 */
#define TESTLIB_IMPLEMENTATION
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks.h"
#include "fix.h"

struct tree {
    char dir[64];
    int fd;
    struct findings f;
};

static void mkparents(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(buf, 0755);
        *p = '/';
    }
}

static void put(struct tree *t, const char *path, const char *content)
{
    char full[PATH_MAX];
    snprintf(full, sizeof(full), "%s%s", t->dir, path);
    mkparents(full);
    FILE *f = fopen(full, "w");
    if (!f)
        return;
    fputs(content, f);
    fclose(f);
}

static void link_(struct tree *t, const char *target, const char *path)
{
    char full[PATH_MAX];
    snprintf(full, sizeof(full), "%s%s", t->dir, path);
    mkparents(full);
    unlink(full);
    CHECK_INT(symlink(target, full), 0);
}

static void mode(struct tree *t, const char *path, mode_t m)
{
    char full[PATH_MAX];
    snprintf(full, sizeof(full), "%s%s", t->dir, path);
    chmod(full, m);
}

/* The minimal clean base: a first-boot machine-id, an init, /etc and /var. */
static void tree_new(struct tree *t)
{
    *t = (struct tree){.fd = -1};
    snprintf(t->dir, sizeof(t->dir), "/tmp/test-checkbase.XXXXXX");
    CHECK(mkdtemp(t->dir) != NULL);
    put(t, "/etc/machine-id", "");
    put(t, "/var/lib/.keep", "");
    put(t, "/sbin/init", "#!/bin/sh\n");
    mode(t, "/sbin/init", 0755);
    put(t, "/etc/fstab",
        "# comment\nUUID=0a1b / ext4 ro,errors=remount-ro 0 1\n"
        "tmpfs /tmp tmpfs defaults 0 0\n");
    link_(t, "/etc/machine-id", "/var/lib/dbus/machine-id");
    link_(t, "/run/systemd/resolve/stub-resolv.conf", "/etc/resolv.conf");
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(p) < 0 ? -1 : 0;
}

static void tree_done(struct tree *t)
{
    if (t->fd >= 0)
        close(t->fd);
    findings_done(&t->f);
    nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int run_checks(struct tree *t, const char *init)
{
    if (t->fd < 0)
        t->fd = open(t->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    findings_done(&t->f);
    struct check_ctx ctx = {
        .rootfd = t->fd, .init_path = init ? init : "/sbin/init", .target = t->dir, .out = &t->f};
    return checks_run(&ctx);
}

static const struct finding *find(struct tree *t, const char *id, const char *path)
{
    for (size_t i = 0; i < t->f.n; i++)
        if (strcmp(t->f.v[i].check->id, id) == 0 && (!path || strcmp(t->f.v[i].path, path) == 0))
            return &t->f.v[i];
    return NULL;
}

static void dump(struct tree *t)
{
    for (size_t i = 0; i < t->f.n; i++)
        fprintf(stderr, "  finding: %s %s %s\n", t->f.v[i].check->id, t->f.v[i].path,
                t->f.v[i].detail ? t->f.v[i].detail : "");
}

/* Run the checks; the tree must have exactly one finding, id at path. */
static void expect_only(struct tree *t, const char *id, const char *path)
{
    CHECK_INT(run_checks(t, NULL), 0);
    CHECK(find(t, id, path) != NULL);
    CHECK_INT(t->f.n, 1);
    if (t->f.n != 1 || !find(t, id, path))
        dump(t);
}

static void expect_clean(struct tree *t)
{
    CHECK_INT(run_checks(t, NULL), 0);
    CHECK_INT(t->f.n, 0);
    dump(t);
}

TEST(clean_tree_has_no_findings)
{
    struct tree t;
    tree_new(&t);
    expect_clean(&t);
    tree_done(&t);
}

TEST(machine_id_with_an_id_is_found)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/etc/machine-id", "0123456789abcdef0123456789abcdef\n");
    expect_only(&t, "machine-id", "/etc/machine-id");
    put(&t, "/etc/machine-id", "uninitialized\n");
    expect_clean(&t);
    tree_done(&t);
}

TEST(dbus_machine_id_regular_file_is_found)
{
    struct tree t;
    tree_new(&t);
    unlink(strcat(strcpy((char[PATH_MAX]){0}, t.dir), "/var/lib/dbus/machine-id"));
    put(&t, "/var/lib/dbus/machine-id", "0123\n");
    expect_only(&t, "dbus-machine-id", "/var/lib/dbus/machine-id");
    tree_done(&t);
}

TEST(ssh_host_keys_are_found)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/etc/ssh/ssh_host_ed25519_key", "secret");
    put(&t, "/etc/ssh/ssh_host_ed25519_key.pub", "public");
    put(&t, "/etc/ssh/sshd_config", "");
    expect_only(&t, "ssh-host-key", "/etc/ssh/ssh_host_ed25519_key");
    tree_done(&t);
}

TEST(hostname_of_build_host_is_found_localhost_is_not)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/etc/hostname", "buildhost\n");
    expect_only(&t, "hostname", "/etc/hostname");
    CHECK(strstr(t.f.v[0].detail, "buildhost") != NULL);
    put(&t, "/etc/hostname", "localhost\n");
    expect_clean(&t);
    put(&t, "/etc/hostname", "\n");
    expect_clean(&t);
    tree_done(&t);
}

TEST(static_resolv_conf_is_found_symlink_is_not)
{
    struct tree t;
    tree_new(&t);
    unlink(strcat(strcpy((char[PATH_MAX]){0}, t.dir), "/etc/resolv.conf"));
    put(&t, "/etc/resolv.conf", "search example.com\nnameserver 192.0.2.1\nnameserver ::1\n");
    expect_only(&t, "resolv-conf", "/etc/resolv.conf");
    CHECK(strstr(t.f.v[0].detail, "2 nameserver lines, first: 192.0.2.1") != NULL);
    put(&t, "/etc/resolv.conf", "# no servers\n");
    expect_clean(&t);
    tree_done(&t);
}

TEST(random_seeds_are_found)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/var/lib/systemd/random-seed", "seed");
    put(&t, "/var/lib/urandom/random-seed", "seed");
    CHECK_INT(run_checks(&t, NULL), 0);
    CHECK(find(&t, "random-seed", "/var/lib/systemd/random-seed") != NULL);
    CHECK(find(&t, "random-seed", "/var/lib/urandom/random-seed") != NULL);
    CHECK_INT(t.f.n, 2);
    tree_done(&t);
}

TEST(fix_backups_left_in_base_are_found)
{
    struct tree t;
    tree_new(&t);
    put(&t, FIX_BACKUP_DIR "/etc/hostname", "x");
    expect_only(&t, "backup-left", FIX_BACKUP_DIR);
    tree_done(&t);
}

TEST(fstab_root_rw_is_found)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/etc/fstab", "UUID=0a1b / ext4 errors=remount-ro 0 1\n");
    expect_only(&t, "fstab-root-rw", "/etc/fstab");
    put(&t, "/etc/fstab", "LABEL=root / ext4 defaults,rw 0 1\n");
    expect_only(&t, "fstab-root-rw", "/etc/fstab");
    tree_done(&t);
}

TEST(fstab_growfs_on_the_root_is_found)
{
    struct tree t;
    tree_new(&t);
    /* a cloud image's line: read-write and grown */
    put(&t, "/etc/fstab",
        "PARTUUID=5e1f / ext4 ro,discard,errors=remount-ro,x-systemd.growfs 0 1\n");
    expect_only(&t, "fstab-growfs", "/etc/fstab");
    /* another filesystem may be grown (an instance disk's, say) */
    put(&t, "/etc/fstab", "UUID=0a1b / ext4 ro 0 1\nLABEL=data /srv ext4 x-systemd.growfs 0 2\n");
    expect_clean(&t);
    tree_done(&t);
}

TEST(fstab_remount_is_found)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/etc/fstab", "UUID=0a1b / ext4 ro 0 1\nnone / none remount,ro 0 0\n");
    expect_only(&t, "fstab-remount", "/etc/fstab");
    tree_done(&t);
}

TEST(fstab_swap_is_found)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/etc/fstab", "UUID=0a1b / ext4 ro 0 1\nUUID=77 none swap sw 0 0\n");
    expect_only(&t, "fstab-swap", "/etc/fstab");
    tree_done(&t);
}

TEST(fstab_kernel_device_names_are_found)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/etc/fstab",
        "UUID=0a1b / ext4 ro 0 1\n/dev/xvdb1 /srv ext4 defaults 0 2\n"
        "/dev/disk/by-label/data /data ext4 defaults 0 2\n");
    expect_only(&t, "fstab-device-name", "/etc/fstab");
    CHECK(strstr(t.f.v[0].detail, "/dev/xvdb1 /srv") != NULL);
    tree_done(&t);
}

TEST(fstab_hostile_lines_do_not_crash)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/etc/fstab", "garbage\n\x01\x02\x03 \xff\xfe\n\n   \nUUID=0a1b / ext4 ro 0 1\n");
    CHECK_INT(run_checks(&t, NULL), 0);
    CHECK(find(&t, "fstab-root-rw", NULL) == NULL);
    tree_done(&t);
}

TEST(logind_without_linger_dir_is_found)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/usr/lib/systemd/systemd-logind", "");
    expect_only(&t, "service-path", "/var/lib/systemd/linger");
    put(&t, "/var/lib/systemd/linger/.keep", "");
    expect_clean(&t);
    tree_done(&t);
}

TEST(unit_state_dir_with_missing_parent_is_found)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/lib/systemd/system/a.service",
        "[Unit]\nDescription=a\n[Service]\n  StateDirectory=deep/er top %i/x\n");
    expect_only(&t, "unit-state-dir", "/var/lib/deep");
    CHECK(strstr(t.f.v[0].detail, "a.service: StateDirectory=deep/er") != NULL);
    tree_done(&t);
}

TEST(masked_unit_in_etc_hides_the_packaged_one)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/lib/systemd/system/a.service", "[Service]\nStateDirectory=deep/er\n");
    link_(&t, "/dev/null", "/etc/systemd/system/a.service");
    expect_clean(&t);
    tree_done(&t);
}

#define LAYOUT_OK                                                                                  \
    "LABEL=base / ext4 ro 0 0\n"                                                                   \
    "PARTLABEL=inst-etc /run/sharedroot/etc ext4 defaults 0 2\n"                                   \
    "PARTLABEL=inst-srv /run/sharedroot/srv ext4 defaults 0 2\n"                                   \
    "overlay /etc overlay upperdir=/run/sharedroot/etc/upper,workdir=/run/sharedroot/etc/work 0 "  \
    "0\n"

TEST(layout_that_does_not_parse_or_validate_is_found)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/etc/sharedroot/layout.fstab", LAYOUT_OK);
    expect_clean(&t);
    put(&t, "/etc/sharedroot/layout.fstab", LAYOUT_OK "overlay /var overlay defaults 0 0\n");
    expect_only(&t, "layout", "/etc/sharedroot/layout.fstab");
    /* The message names the file the admin edits, not the descriptor it was read through. */
    CHECK(strstr(t.f.v[0].detail, "/proc/self/fd") == NULL);
    dump(&t);
    tree_done(&t);
}

/* Two overlays on one upper dir: a file written in /var appeared in /etc. */
TEST(layout_with_shared_or_nested_upper_dirs_is_found)
{
    static const char *const lines[] = {
        "overlay /var overlay upperdir=/run/sharedroot/etc/upper,workdir=/run/sharedroot/etc/w2 "
        "0 0\n",
        "overlay /var overlay upperdir=/run/sharedroot/etc/upper/var,workdir=/run/sharedroot/"
        "etc/w2 0 0\n",
    };
    for (size_t i = 0; i < 2; i++) {
        struct tree t;
        char text[2048];
        tree_new(&t);
        put(&t, "/var/.keep", "");
        snprintf(text, sizeof(text), "%s%s", LAYOUT_OK, lines[i]);
        put(&t, "/etc/sharedroot/layout.fstab", text);
        expect_only(&t, "layout", "/etc/sharedroot/layout.fstab");
        CHECK(t.f.n == 1 && strstr(t.f.v[0].detail, "upper and work dirs of its own") != NULL);
        dump(&t);
        tree_done(&t);
    }
}

/* A sparse 2 GB fstab once took 2 GB of memory: every file read is bounded. */
TEST(oversized_config_files_are_refused_without_reading_them)
{
    static const char *const files[] = {"/etc/fstab", "/etc/hostname", "/etc/machine-id",
                                        "/etc/systemd/system/x.service",
                                        "/etc/sharedroot/layout.fstab"};
    for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
        struct tree t;
        char p[PATH_MAX];
        tree_new(&t);
        put(&t, files[i], "");
        snprintf(p, sizeof(p), "%s%s", t.dir, files[i]);
        CHECK_INT(truncate(p, 2LL * 1024 * 1024 * 1024), 0);
        int r = run_checks(&t, NULL);
        if (strcmp(files[i], "/etc/sharedroot/layout.fstab") == 0) {
            /* the layout's own parser says so, as a finding */
            CHECK_INT(r, 0);
            CHECK(find(&t, "layout", NULL) &&
                  strstr(find(&t, "layout", NULL)->detail, "larger than") != NULL);
        } else {
            CHECK_INT(r, -EFBIG);
        }
        tree_done(&t);
    }
}

TEST(overlay_dirs_of_the_layout_must_exist)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/etc/sharedroot/layout.fstab",
        LAYOUT_OK "overlay /srv/www overlay "
                  "upperdir=/run/sharedroot/srv/upper,workdir=/run/sharedroot/srv/work 0 0\n");
    expect_only(&t, "overlay-dir", "/srv/www");
    tree_done(&t);
}

TEST(missing_overlay_dir_is_found)
{
    struct tree t;
    tree_new(&t);
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "rm -rf '%s/var'", t.dir);
    CHECK_INT(system(p), 0);
    expect_only(&t, "overlay-dir", "/var");
    tree_done(&t);
}

TEST(init_missing_or_not_executable_is_found)
{
    struct tree t;
    tree_new(&t);
    mode(&t, "/sbin/init", 0644);
    expect_only(&t, "init", "/sbin/init");
    CHECK(strstr(t.f.v[0].detail, "not executable") != NULL);
    CHECK_INT(run_checks(&t, "/bin/missing"), 0);
    CHECK(find(&t, "init", "/bin/missing") != NULL);
    tree_done(&t);
}

TEST(absolute_init_symlink_resolves_inside_the_root)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/lib/systemd/systemd", "");
    mode(&t, "/lib/systemd/systemd", 0755);
    link_(&t, "/lib/systemd/systemd", "/sbin/init");
    expect_clean(&t);
    /* Points at the host's /bin/sh if resolved outside: must be missing inside. */
    link_(&t, "../../../../../bin/sh", "/sbin/init");
    expect_only(&t, "init", "/sbin/init");
    tree_done(&t);
}

TEST(symlinks_never_reach_the_host)
{
    struct tree t;
    tree_new(&t);
    /* The host has these; through the root they do not exist. */
    link_(&t, "/../../../../proc/sys/kernel/hostname", "/etc/hostname");
    link_(&t, "/proc/self/root/etc/machine-id", "/etc/machine-id");
    link_(&t, "../../..", "/etc/ssh");
    expect_clean(&t);
    link_(&t, "/etc/hostname", "/etc/hostname"); /* a loop is as good as missing */
    expect_clean(&t);
    tree_done(&t);
}

TEST(fifo_at_checked_path_does_not_hang)
{
    struct tree t;
    tree_new(&t);
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/etc/hostname", t.dir);
    CHECK_INT(mkfifo(p, 0644), 0);
    CHECK(run_checks(&t, NULL) < 0); /* reported as an error, not a hang */
    tree_done(&t);
}

TEST(fixes_repair_and_back_up)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/etc/machine-id", "0123456789abcdef0123456789abcdef\n");
    put(&t, "/etc/ssh/ssh_host_rsa_key", "secret");
    put(&t, "/etc/ssh/ssh_host_rsa_key.pub", "public");
    put(&t, "/etc/hostname", "buildhost\n");
    CHECK_INT(run_checks(&t, NULL), 0);
    for (size_t i = 0; i < t.f.n; i++) {
        char what[512];
        CHECK_INT(t.f.v[i].check->apply(t.fd, &t.f.v[i], what, sizeof(what)), 0);
    }
    expect_only(&t, "backup-left", FIX_BACKUP_DIR);
    char p[PATH_MAX];
    snprintf(p, sizeof(p),
             "grep -q 0123456789abcdef '%s" FIX_BACKUP_DIR "/etc/machine-id' && "
             "test -f '%s" FIX_BACKUP_DIR "/etc/ssh/ssh_host_rsa_key.pub'",
             t.dir, t.dir);
    CHECK_INT(system(p), 0);
    /* A second fix of a new id keeps the first backup. */
    put(&t, "/etc/machine-id", "fedcba\n");
    CHECK_INT(run_checks(&t, NULL), 0);
    const struct finding *f = find(&t, "machine-id", NULL);
    char what[512];
    CHECK(f && f->check->apply(t.fd, f, what, sizeof(what)) == 0);
    CHECK(strstr(what, "/etc/machine-id.1") != NULL);
    tree_done(&t);
}

/* A base made by cp -al shares its inodes with the original tree: --fix must replace the
 * copy's files, never write into them (the original's machine-id and hostname were emptied). */
TEST(fix_never_writes_through_hard_links)
{
    struct tree t;
    tree_new(&t);
    char orig_dir[64] = "/tmp/test-checkbase-orig.XXXXXX";
    CHECK(mkdtemp(orig_dir) != NULL);
    put(&t, "/etc/machine-id", "0123456789abcdef0123456789abcdef\n");
    put(&t, "/etc/hostname", "buildhost\n");
    mode(&t, "/etc/hostname", 0640);
    const char *names[] = {"/etc/machine-id", "/etc/hostname"};
    char orig[2][PATH_MAX], copy[2][PATH_MAX];
    for (int i = 0; i < 2; i++) {
        snprintf(copy[i], sizeof(copy[i]), "%s%s", t.dir, names[i]);
        snprintf(orig[i], sizeof(orig[i]), "%s/%s", orig_dir, strrchr(names[i], '/') + 1);
        CHECK_INT(link(copy[i], orig[i]), 0); /* as cp -al made it */
    }
    CHECK(chown(copy[1], 1, 2) == 0);
    CHECK_INT(run_checks(&t, NULL), 0);
    for (size_t i = 0; i < t.f.n; i++) {
        char what[512];
        if (!t.f.v[i].check->apply)
            continue;
        CHECK_INT(t.f.v[i].check->apply(t.fd, &t.f.v[i], what, sizeof(what)), 0);
        CHECK(strstr(what, "its other hard links keep the old content") != NULL);
    }
    struct stat so, sc;
    for (int i = 0; i < 2; i++) {
        CHECK_INT(stat(orig[i], &so), 0);
        CHECK_INT(stat(copy[i], &sc), 0);
        CHECK(so.st_size > 0);    /* the original tree keeps its content */
        CHECK_INT(sc.st_size, 0); /* the fixed tree's file is empty */
        CHECK(so.st_ino != sc.st_ino);
        CHECK_INT(so.st_nlink, 1);
        CHECK_INT(sc.st_nlink, 1);
        CHECK_INT(sc.st_mode & 07777, so.st_mode & 07777); /* mode and owner kept */
        CHECK_INT(sc.st_uid, so.st_uid);
        CHECK_INT(sc.st_gid, so.st_gid);
    }
    /* nothing else left beside them */
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s/etc' | grep check-base-new)\"", t.dir);
    CHECK_INT(system(cmd), 0);
    unlink(orig[0]);
    unlink(orig[1]);
    rmdir(orig_dir);
    tree_done(&t);
}

/* A machine-id that is a symlink is not followed by the fix (it would empty another file). */
TEST(fix_does_not_follow_a_symlinked_file)
{
    struct tree t;
    tree_new(&t);
    put(&t, "/var/lib/dbus/real-id", "0123456789abcdef0123456789abcdef\n");
    link_(&t, "/var/lib/dbus/real-id", "/etc/machine-id");
    CHECK_INT(run_checks(&t, NULL), 0);
    const struct finding *f = find(&t, "machine-id", NULL);
    char what[512] = "";
    CHECK(f && f->check->apply(t.fd, f, what, sizeof(what)) == -ELOOP);
    CHECK(strstr(what, "symbolic link") != NULL);
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/var/lib/dbus/real-id", t.dir);
    struct stat st;
    CHECK(stat(p, &st) == 0 && st.st_size > 0);
    tree_done(&t);
}

int main(void)
{
    return test_main();
}
