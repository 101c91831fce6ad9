/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a new instance holds: the layout the init's first boot would make (claimed), and the
 * admin's files in its upper dirs. Shared by create and restore.
 */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hostname.h"
#include "spec.h"
#include "tree.h"
#include "util.h"

/* The marker's content. */
extern const char inst_marker_text[];

/* Stage the root (0700), the marker, overlay/NAME/{upper,work} (0755), the reconcile stores
 * (0700) and tmp (1777), all root's, as an empty instance is after its first boot. */
int inst_stage_layout(struct tree *t, const struct inst_spec *s, char *why, size_t n);

/* A file an admin puts into an overlaid dir: --file SRC:/etc/PATH[:MODE[:UID:GID]]. */
struct inst_file {
    char src[4096];   /* host file, "" with data */
    const void *data; /* content when src is NULL */
    size_t len;
    char dest[4096]; /* absolute path in the guest: "/etc/PATH" */
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

/* Parse SRC:/DEST[:MODE[:UID:GID]] (SRC must not contain ":/", DEST no ':'). Defaults: 0644,
 * 0:0. why says what is wrong. */
int inst_file_parse(const char *arg, struct inst_file *f, char *why, size_t n);

/* Stage f into the upper dir of the overlay holding f->dest (missing dirs below the upper:
 * 0755 root's). -ENOENT (why says) when no overlay holds it. */
int inst_stage_file(struct tree *t, const struct inst_spec *s, const struct inst_file *f, char *why,
                    size_t n);

/* Write f into the upper dir of the overlay holding f->dest on the mounted instance at rootfd
 * (clone's copy), exactly as inst_stage_file stages it: missing dirs below the upper 0755
 * root's, the file with f's mode and owner, no xattrs, replacing the instance's file or
 * deletion (whiteout) of that path (a new file renamed over it); a dir there is refused
 * (-EISDIR), as is a parent that is not a dir (-ENOTDIR). Nothing is followed through a
 * symlink. */
int inst_write_file(int rootfd, const struct inst_spec *s, const struct inst_file *f, char *why,
                    size_t n);

/*
 * What --hostname H, --authorized-keys FILE [--user NAME] and --file ask to put into an
 * instance, for create and clone alike (one set of rules): /etc/hostname ("H\n", 0644), the
 * keys as /etc/ssh/authorized_keys/NAME (0644) with the sshd drop-in that makes sshd read
 * them, and each --file; all root's unless a --file says otherwise.
 */
#define INST_MAX_FILES 256
#define INST_KEYS_MAX (1024 * 1024)
#define INST_SSHD_DROPIN "/etc/ssh/sshd_config.d/sharedroot-authorized-keys.conf"

struct inst_files {
    const char *hostname, *keys, *user;
    struct inst_file f[INST_MAX_FILES]; /* the --file ones first, then the named ones */
    size_t n, keys_at;                  /* keys_at: the keys' entry (when keys) */
    struct rc_buf keybuf;
    char hostline[HOSTNAME_MAX + 2];
};

/* The options, for a command's getopt_long tables. */
/* clang-format off */
#define INST_FILES_LONGOPTS                                                                        \
    {"hostname", required_argument, NULL, 'H'},                                                    \
    {"authorized-keys", required_argument, NULL, 'k'},                                             \
    {"user", required_argument, NULL, 'u'},                                                        \
    {"file", required_argument, NULL, 'f'}
/* clang-format on */
#define INST_FILES_SHORTOPTS "H:k:u:f:"

void inst_files_init(struct inst_files *fs);
/* Take the option c (one of INST_FILES_SHORTOPTS) with its value arg: 1 taken, 0 not one of
 * these, -EINVAL when the value is malformed (logged; a usage error). */
int inst_files_option(struct inst_files *fs, int c, const char *arg);
/* getopt_long (shortopts and longopts hold these options too) that takes these options
 * itself: the next other option, -1 at the end, '?' for an unknown option or a malformed
 * value of these (logged). */
int inst_files_getopt(struct inst_files *fs, int argc, char **argv, const char *shortopts,
                      const struct option *longopts);
/* After the options: --hostname and --user must be valid names, the named files are added
 * and no DEST may be given twice. -EINVAL (logged; a usage error) else. */
int inst_files_check(struct inst_files *fs);
/* Read the --authorized-keys file (at most INST_KEYS_MAX, not empty, no NUL byte; a final
 * newline is added when missing). Logs why it fails. */
int inst_files_load(struct inst_files *fs);
void inst_files_done(struct inst_files *fs);

/* A user name for --user: [a-z_][a-z0-9_.-]* with an optional final '$', at most 32. */
bool inst_user_name_ok(const char *name);
