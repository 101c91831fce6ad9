/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What sharedroot-mkinitramfs leaves while it works, and how it is cleaned up: on a signal,
 * and when a later run finds what a killed one left (initramfs/leftovers.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io-util.h"
#include "leftovers.h"
#include "mkutil.h"
#include "testlib.h"

static char *tmpdir_new(void)
{
    char *d = strdup("/tmp/test-leftovers.XXXXXX");
    return mkdtemp(d) ? d : NULL;
}

static void put(const char *dir, const char *name, const char *text)
{
    _cleanup_free_ char *p = path_join(dir, name);
    FILE *f = fopen(p, "we");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Make dir/name look like it was left an hour ago. */
static void age(const char *dir, const char *name)
{
    _cleanup_free_ char *p = path_join(dir, name);
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= 3600;
    tv[1] = tv[0];
    CHECK_INT(lutimes(p, tv), 0);
}

static bool exists(const char *dir, const char *name)
{
    _cleanup_free_ char *p = path_join(dir, name);
    struct stat st;
    return lstat(p, &st) == 0;
}

TEST(leftover_names_are_ours_only)
{
    CHECK(leftovers_name_matches(".initrd.img.Ab3xYz", ".initrd.img."));
    CHECK(leftovers_name_matches("sharedroot-mkinitramfs.000000", STAGING_PREFIX));
    CHECK(!leftovers_name_matches(".initrd.img.Ab3xY", ".initrd.img."));
    CHECK(!leftovers_name_matches(".initrd.img.Ab3xYz1", ".initrd.img."));
    CHECK(!leftovers_name_matches(".initrd.img.Ab-xYz", ".initrd.img."));
    CHECK(!leftovers_name_matches(".initrd.img.Ab/xYz", ".initrd.img."));
    CHECK(!leftovers_name_matches(".initrd.img.Ab\xc3\xa9yz", ".initrd.img."));
    CHECK(!leftovers_name_matches("initrd.img", ".initrd.img."));
    CHECK(!leftovers_name_matches(".other.img.Ab3xYz", ".initrd.img."));
    CHECK(!leftovers_name_matches("", ".initrd.img."));
}

TEST(stale_temporary_images_are_removed_carefully)
{
    _cleanup_free_ char *d = tmpdir_new(), *outside = tmpdir_new(), *link = NULL, *locked = NULL;

    put(d, ".initrd.img.OLD111", "half an image");
    age(d, ".initrd.img.OLD111");
    put(d, ".initrd.img.NEW222", "a run at work"); /* young: left alone */
    put(d, ".initrd.img.LCK333", "an old run still at work");
    age(d, ".initrd.img.LCK333");
    put(d, ".other.img.OLD444", "another output's"); /* not our prefix */
    age(d, ".other.img.OLD444");
    put(d, ".initrd.img.toolong", "not our pattern");
    age(d, ".initrd.img.toolong");
    put(outside, "precious", "keep me");
    link = path_join(outside, "precious");
    _cleanup_free_ char *lnk = path_join(d, ".initrd.img.SYM555");
    CHECK_INT(symlink(link, lnk), 0);
    age(d, ".initrd.img.SYM555");
    _cleanup_free_ char *dirlike = path_join(d, ".initrd.img.DIR666");
    CHECK_INT(mkdir(dirlike, 0700), 0); /* a directory is never a temporary image */
    age(d, ".initrd.img.DIR666");
    /* a run at work holds its lock */
    locked = path_join(d, ".initrd.img.LCK333");
    int fd = open(locked, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_INT(flock(fd, LOCK_EX), 0);

    CHECK_INT(leftovers_clean_stale(d, ".initrd.img.", false), 1);
    CHECK(!exists(d, ".initrd.img.OLD111"));
    CHECK(exists(d, ".initrd.img.NEW222"));
    CHECK(exists(d, ".initrd.img.LCK333"));
    CHECK(exists(d, ".other.img.OLD444"));
    CHECK(exists(d, ".initrd.img.toolong"));
    CHECK(exists(d, ".initrd.img.SYM555"));
    CHECK(exists(d, ".initrd.img.DIR666"));
    CHECK(exists(outside, "precious"));
    close(fd);
    /* unlocked now: an old one goes */
    CHECK_INT(leftovers_clean_stale(d, ".initrd.img.", false), 1);
    CHECK(!exists(d, ".initrd.img.LCK333"));
    CHECK_INT(leftovers_clean_stale("/nonexistent/dir", ".x.", false), -ENOENT);
    rm_rf(d);
    rm_rf(outside);
}

TEST(stale_staging_dirs_are_removed_without_following_symlinks)
{
    _cleanup_free_ char *d = tmpdir_new(), *outside = tmpdir_new();
    _cleanup_free_ char *old = path_join(d, STAGING_PREFIX "AAAAAA");
    _cleanup_free_ char *deep = path_join(old, "lib/modules/6.1.0/kernel");
    _cleanup_free_ char *esc = path_join(deep, "escape");
    _cleanup_free_ char *lnk = path_join(d, STAGING_PREFIX "BBBBBB");

    CHECK_INT(mkdir_p(deep, 0755), 0);
    put(deep, "virtio_blk.ko", "module");
    put(outside, "precious", "keep me");
    CHECK_INT(symlink(outside, esc), 0); /* a symlink inside: removed, never followed */
    age(d, STAGING_PREFIX "AAAAAA");
    CHECK_INT(symlink(outside, lnk), 0); /* a symlink named like ours: never followed */
    age(d, STAGING_PREFIX "BBBBBB");
    put(d, STAGING_PREFIX "CCCCCC", "a file is never a staging directory");
    age(d, STAGING_PREFIX "CCCCCC");

    CHECK_INT(leftovers_clean_stale(d, STAGING_PREFIX, true), 1);
    CHECK(!exists(d, STAGING_PREFIX "AAAAAA"));
    CHECK(exists(d, STAGING_PREFIX "BBBBBB"));
    CHECK(exists(d, STAGING_PREFIX "CCCCCC"));
    CHECK(exists(outside, "precious"));
    rm_rf(d);
    rm_rf(outside);
}

/* The handler, for real: a child makes a temporary image and a staging directory with
 * content, then a signal ends it. Both are gone, and it died of that signal. */
TEST(signal_removes_the_unfinished_image_and_staging)
{
    _cleanup_free_ char *d = tmpdir_new();
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};

    for (size_t i = 0; i < 3; i++) {
        int status = 0;
        pid_t pid = fork();
        if (pid == 0) {
            char file[256], dir[256];
            snprintf(file, sizeof file, "%s/.initrd.img.XXXXXX", d);
            snprintf(dir, sizeof dir, "%s/" STAGING_PREFIX "XXXXXX", d);
            /* The handler is not installed for a signal the caller ignores (nohup: a hangup
             * must not end the build), so the test starts from the default disposition. */
            signal(sigs[i], SIG_DFL);
            if (leftovers_install() < 0 || leftovers_mkstemp(file) < 0 ||
                leftovers_mkdtemp(dir) < 0)
                _exit(3);
            _cleanup_free_ char *sub = path_join(dir, "lib/modules");
            if (mkdir_p(sub, 0755) < 0)
                _exit(4);
            put(sub, "modules.dep", "x");
            raise(sigs[i]);
            _exit(5); /* not reached */
        }
        CHECK(pid > 0);
        CHECK_INT(waitpid(pid, &status, 0), pid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == sigs[i]);
        DIR *dd = opendir(d);
        int n = 0;
        for (struct dirent *e; dd && (e = readdir(dd));)
            n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
        if (dd)
            closedir(dd);
        CHECK_INT(n, 0);
    }
    rm_rf(d);
}

/* A signal the caller ignores stays ignored (nohup sharedroot-mkinitramfs survives a hangup). */
TEST(an_ignored_signal_stays_ignored)
{
    int status = 0;
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGHUP, SIG_IGN);
        if (leftovers_install() < 0)
            _exit(3);
        raise(SIGHUP);
        _exit(7);
    }
    CHECK(pid > 0);
    CHECK_INT(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
}

TEST(rm_rf_stays_inside_and_reports)
{
    _cleanup_free_ char *d = tmpdir_new(), *outside = tmpdir_new();
    _cleanup_free_ char *deep = path_join(d, "a/b/c/d/e/f/g");
    _cleanup_free_ char *esc = path_join(d, "a/b/escape");

    CHECK_INT(mkdir_p(deep, 0755), 0);
    put(deep, "file", "x");
    put(outside, "precious", "keep me");
    CHECK_INT(symlink(outside, esc), 0);
    CHECK_INT(rm_rf(d), 0);
    CHECK(!exists("/", d));
    CHECK(exists(outside, "precious"));
    CHECK_INT(rm_rf(d), 0); /* missing is fine */
    /* deeper than the bound: an error, not a stack overflow */
    _cleanup_free_ char *top = tmpdir_new();
    char path[4096];
    snprintf(path, sizeof path, "%s", top);
    for (int i = 0; i < RM_RF_MAX_DEPTH + 2; i++)
        strcat(path, "/x");
    CHECK_INT(mkdir_p(path, 0755), 0);
    CHECK_INT(rm_rf(top), -ELOOP);
    /* clean up from the middle */
    path[strlen(top) + 2 * 40] = '\0';
    CHECK_INT(rm_rf(path), 0);
    CHECK_INT(rm_rf(top), 0);
    rm_rf(outside);
}

int main(void)
{
    return test_main();
}
