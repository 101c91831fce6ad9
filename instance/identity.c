// SPDX-License-Identifier: GPL-2.0-or-later
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsio.h"
#include "log.h"
#include "rmtree.h"
#include "why.h"

enum id_action {
    ID_EMPTY,    /* truncate a regular file (systemd makes a new machine-id at boot) */
    ID_REMOVE,   /* remove files and symlinks (whiteouts stay: the host deleted the path) */
    ID_TREE,     /* remove files, symlinks and whole dirs */
    ID_HOSTNAME, /* write the new name, or remove whatever the instance has */
};

static const struct {
    const char *overlay, *dir, *pattern;
    enum id_action action;
} identity_table[] = {
    {"/etc", "", "machine-id", ID_EMPTY},
    {"/etc", "", "hostname", ID_HOSTNAME},
    {"/etc", "ssh", "ssh_host_*", ID_REMOVE},
    {"/var", "lib/dbus", "machine-id", ID_REMOVE},
    {"/var", "lib/systemd", "random-seed", ID_REMOVE},
    {"/var", "lib/systemd", "credential.secret", ID_REMOVE},
    {"/var", "lib/urandom", "random-seed", ID_REMOVE},
    {"/var", "lib/dhcp", "*.lease*", ID_REMOVE},
    {"/var", "lib/dhclient", "*.lease*", ID_REMOVE},
    {"/var", "lib/dhcpcd", "*", ID_REMOVE},
    {"/var", "lib/NetworkManager", "*.lease", ID_REMOVE},
    {"/var", "lib/NetworkManager", "secret_key", ID_REMOVE},
    {"/var", "lib/NetworkManager", "timestamps", ID_REMOVE},
    {"/var", "log/journal", "*", ID_TREE},
};

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static int remove_tree(int dfd, const char *name)
{
    _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    int r;

    if (fd < 0 || fstat(fd, &st) < 0)
        return -errno;
    r = rmtree_contents(fd, st.st_dev, NULL);
    if (r > 0)
        return -ENOTEMPTY;
    if (r < 0)
        return r;
    return unlinkat(dfd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

static int truncate_file(int dfd, const char *name)
{
    _cleanup_close_ int fd =
        openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;

    if (fd < 0 || fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    return ftruncate(fd, 0) < 0 || fsync(fd) < 0 ? -errno : 0;
}

static int apply_one(int dfd, const char *name, const char *shown, enum id_action a,
                     struct identity_result *res)
{
    struct stat st;
    int r = 0;

    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (is_whiteout(&st) && a != ID_HOSTNAME) {
        res->kept_whiteouts++;
        return 0;
    }
    if (a == ID_EMPTY) {
        if (!S_ISREG(st.st_mode) || st.st_size == 0)
            return 0;
        r = truncate_file(dfd, name);
        if (r == 0)
            res->emptied++, log_debug("emptied %s", shown);
        return r;
    }
    if (S_ISDIR(st.st_mode)) {
        if (a != ID_TREE)
            return 0;
        r = remove_tree(dfd, name);
    } else {
        r = unlinkat(dfd, name, 0) < 0 ? -errno : 0;
    }
    if (r == 0)
        res->removed++, log_debug("removed %s", shown);
    return r;
}

static int apply_entry(int upperfd, const char *ovdir, size_t i, struct identity_result *res,
                       char *why, size_t n)
{
    const char *dir = identity_table[i].dir, *pat = identity_table[i].pattern;
    _cleanup_close_ int dfd = *dir ? rc_open_beneath(upperfd, dir, O_RDONLY | O_DIRECTORY)
                                   : fcntl(upperfd, F_DUPFD_CLOEXEC, 3);
    char **names = NULL;
    size_t cnt = 0;
    int r;

    if (dfd == -ENOENT)
        return 0;
    if (dfd < 0) {
        /* A symlink or a file where the dir should be: the guest's business, not followed. */
        log_warning("%s/%s in the copy is not a directory (%s); left as it is", ovdir, dir,
                    strerror(-dfd));
        return 0;
    }
    r = rc_list_dir(dfd, &names, &cnt);
    if (r < 0)
        return why_fail(why, n, r, "cannot list %s/%s in the copy: %s", ovdir, dir, strerror(-r));
    for (size_t k = 0; k < cnt && r == 0; k++) {
        char shown[PATH_MAX];
        if (fnmatch(pat, names[k], FNM_PERIOD) != 0)
            continue;
        snprintf(shown, sizeof shown, "%s%s%s/%s", ovdir, *dir ? "/" : "", dir, names[k]);
        r = apply_one(dfd, names[k], shown, identity_table[i].action, res);
        if (r < 0)
            why_fail(why, n, r, "cannot reset %s in the copy: %s", shown, strerror(-r));
    }
    rc_names_free(names, cnt);
    return r;
}

/* The store's backups hold the old machine's files, tmp its temporary files, the swap file
 * its memory. */
static int clean_instance_dirs(int rootfd, const struct inst_spec *s, struct identity_result *res,
                               char *why, size_t n)
{
    struct stat st;

    for (size_t i = 0; i < s->n; i++) {
        char p[PATH_MAX + 16];
        snprintf(p, sizeof p, "%s/backups", s->ov[i].store);
        _cleanup_close_ int fd = rc_open_beneath(rootfd, p, O_RDONLY | O_DIRECTORY);
        if (fd >= 0 && fstat(fd, &st) == 0 && rmtree_contents(fd, st.st_dev, NULL) != 0)
            return why_fail(why, n, -EIO, "cannot empty %s in the copy", p);
    }
    _cleanup_close_ int tfd = rc_open_beneath(rootfd, "tmp", O_RDONLY | O_DIRECTORY);
    if (tfd >= 0 && fstat(tfd, &st) == 0 && rmtree_contents(tfd, st.st_dev, NULL) != 0)
        return why_fail(why, n, -EIO, "cannot empty tmp in the copy");
    if (fstatat(rootfd, "swapfile", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
        if (unlinkat(rootfd, "swapfile", 0) < 0)
            return why_fail(why, n, -errno, "cannot remove the swap file of the copy: %s",
                            strerror(errno));
        res->swap_removed = true;
    }
    return 0;
}

int identity_reset(int rootfd, const struct inst_spec *s, struct identity_result *res, char *why,
                   size_t n)
{
    int r = 0;

    memset(res, 0, sizeof *res);
    for (size_t i = 0; r == 0 && i < sizeof identity_table / sizeof *identity_table; i++) {
        const char *rel;
        const struct inst_overlay *o = spec_overlay_for(s, identity_table[i].overlay, &rel);
        _cleanup_close_ int upperfd = -1;

        if (!o || *rel)
            continue; /* that dir is not overlaid: its files are the base's */
        upperfd = rc_open_beneath(rootfd, o->upper, O_RDONLY | O_DIRECTORY);
        if (upperfd == -ENOENT)
            continue;
        if (upperfd < 0)
            return why_fail(why, n, upperfd, "cannot open %s in the copy: %s", o->upper,
                            strerror(-upperfd));
        r = apply_entry(upperfd, o->dir, i, res, why, n);
    }
    return r < 0 ? r : clean_instance_dirs(rootfd, s, res, why, n);
}
