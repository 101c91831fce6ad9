/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reconcile engine: compares an overlay's upper dir (the host's copies, whiteouts and
 * opaque dirs) with its lower dir (the base now) and the merge base (what the base had when
 * the host made its copy), gives every upper path exactly one outcome, and applies the safe
 * ones. Linked by overlay-reconcile and by sharedroot-init (stage "reconcile"), so nothing
 * here prints or exits: functions return 0 or a negative errno, and results live in the
 * structures below. See docs/overlay-reconcile.8 for the outcomes, store layout and JSON.
 *
 * The boot calls, per overlay, before mounting it:
 *
 *     struct rc_overlay ov = {.name = "/etc", .lower = lower, .upper = upper, .store = store,
 *                             .root = instance_mount_point};
 *     struct rc_record_result rec;
 *     rc_record(&ov, &rec);                       // a stat walk when the base is unchanged
 *     struct rc_report *rep;
 *     rc_reconcile(&ov, RC_POLICY_SAFE, &opts, &rep);   // resume, classify, apply
 *     rc_report_save_json(&rep, 1, "/run/sharedroot/reconcile.json");
 *     rc_report_summary(rep, buf, sizeof buf);   // the console line
 *     rc_report_free(rep);
 *
 * Recording comes first on purpose: the merge base of an upper path is the newest recorded
 * base older than the path's ctime, so files the apply writes must be newer than the record
 * of the base they were merged with.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Outcomes: the names (rc_outcome_name) are the interface, in text and JSON. */
enum rc_outcome {
    RC_HOST_ONLY,       /* no lower: the host's own file */
    RC_UNCHANGED,       /* base unchanged since the merge base: the host's version stands */
    RC_REDUNDANT,       /* upper equals lower (content and metadata): a copy that only hides */
    RC_BASE_UPDATED,    /* upper content equals the merge base, lower differs: take the base */
    RC_MERGED,          /* all three differ, the three-way line merge is clean */
    RC_CONFLICT,        /* all three differ and there is no clean merge */
    RC_DELETED_BY_HOST, /* whiteout or opaque dir while the base changed the path */
    RC_DELETED_IN_BASE, /* the host still overrides a path the base dropped */
    RC_METADATA_ONLY,   /* mode/owner/xattrs differ, content equal */
    RC_TYPE_CHANGED,    /* file/dir/symlink/special differ between upper and lower */
    RC_UNKNOWN_BASE,    /* upper and lower differ and no merge base is recorded */
    RC_OUTCOME_COUNT
};

/* What one version of a path is. A whiteout is char 0/0, or a zero-size file carrying the
 * overlay.whiteout xattr in a dir marked overlay.opaque="x". */
enum rc_kind {
    RC_ABSENT,
    RC_FILE,
    RC_DIR,
    RC_SYMLINK,
    RC_FIFO,
    RC_CHARDEV,
    RC_BLOCKDEV,
    RC_SOCKET,
    RC_WHITEOUT,
    RC_KIND_COUNT
};

enum rc_policy {
    RC_POLICY_REPORT, /* change nothing */
    RC_POLICY_SAFE,   /* drop redundant copies, take base updates the host never changed */
    RC_POLICY_MERGE,  /* safe + write clean three-way merges into the upper */
};

/* What apply does (or would do) to an upper path. */
enum rc_action {
    RC_ACT_NONE,
    RC_ACT_REMOVE,  /* back up, then remove the upper copy: the base shows through */
    RC_ACT_REPLACE, /* back up, then write new content keeping the host's mode/owner/xattrs */
    /* Steps of a reset inside an opaque dir (journal only, never an entry's action; see
     * rc_reset): */
    RC_ACT_WHITEOUT, /* make a whiteout where the upper has nothing */
    RC_ACT_OPAQUE,   /* mark a dir of the upper opaque */
    RC_ACT_UNOPAQUE, /* drop a dir's opaque marks */
    RC_ACT_MOVE,     /* move a path of the upper whole into backups/<run>/<path> */
};

/* A store keeps the content of base files up to this size and only the hash of larger ones:
 * a merge base is needed for line merges of configuration files, while a base /var holds
 * package lists, caches and logs of many megabytes that every instance disk would otherwise
 * copy. A host copy of such a file is still classified (by hash); it just gets no line
 * merge ("too large for a merge"). */
#define RC_STORE_CONTENT_MAX (1024 * 1024)

#define RC_HASH_HEX 65 /* 64 hex digits of SHA-256 + NUL */

struct rc_version {
    enum rc_kind kind;
    bool opaque;     /* dir: overlay.opaque="y" (hides the lower dir) */
    bool xwhiteouts; /* dir: overlay.opaque="x" (may hold xattr whiteouts) */
    mode_t mode;     /* permission bits (07777) */
    uid_t uid;
    gid_t gid;
    dev_t rdev;
    uint64_t size;
    int64_t ctime_sec;
    long ctime_nsec;
    bool have_hash;
    unsigned char hash[32]; /* file: data; symlink: target; special: type and rdev */
    unsigned char meta[32]; /* xattrs other than trusted.* and *.overlay.* */
};

struct rc_entry {
    char *path; /* relative to the overlaid dir, raw bytes, no leading slash */
    enum rc_outcome outcome;
    struct rc_version upper, lower, base;
    bool base_known;       /* a merge base was available for this path */
    enum rc_action action; /* what the policy does (RC_ACT_NONE in report mode) */
    int applied;           /* 1 done, 0 not attempted, negative errno: failed */
    char *base_object;     /* conflict: store path of the new base version */
    char *conflict_object; /* conflict: store path of the version with conflict markers */
    char *backup;          /* store path of the backup made before the action */
    char *note;            /* why, for a human (may be NULL) */
    bool ignored;          /* on the ignore list: no warning, no action, not in counts[] */
};

/* What a base's fingerprint rests on (see FINGERPRINT in docs/overlay-reconcile.8). */
enum rc_fp_evidence {
    RC_FP_STAT,           /* a stat walk: the times are the kernel's (ctime changes with content) */
    RC_FP_CONTENT,        /* a stat walk and every file's content: a read-only image format or
                             settled times (every ctime equals its mtime), so the stat walk alone
                             cannot see a content change that kept sizes and times */
    RC_FP_STAT_TOO_LARGE, /* as RC_FP_CONTENT, but more than RC_FP_CONTENT_MAX bytes of files: the
                             stat walk and the filesystem's identity (its UUID) only */
    RC_FP_SEALED,         /* a stat walk and the UUID of an ext image sharedroot-mkbase derived
                             from the image's content (rc_base_seal, reconcile.h): a rebuild with other
                             content has another UUID, a change in place shows in the stat walk */
    RC_FP_SEALED_UNTOUCHED, /* a sealed image whose superblock still holds the write state
                               sharedroot-mkbase sealed (rc_ext_sb_untouched): never written since
                               it was built, so the UUID (and the dir's inode) is the fingerprint;
                               no walk */
};

/* Files of a base dir whose stat evidence cannot be trusted are hashed at every record up to
 * this many bytes in all (a Debian /etc holds 0.5-3 MiB, its /var tens of MiB). */
#define RC_FP_CONTENT_MAX (8u << 20)

struct rc_fp_info {
    enum rc_fp_evidence evidence;
    bool image_fs;       /* the base is a read-only image format (erofs, squashfs, ...) */
    size_t files;        /* regular files in the dir */
    uint64_t file_bytes; /* their bytes */
    char fs_id[96];      /* "TYPE UUID" of the base's filesystem, "" when unknown */
    bool sealed;         /* its UUID is the digest of its content (sharedroot-mkbase) */
};

/*
 * Sealed bases. A base image whose filesystem UUID is the digest of its content: sharedroot-mkbase
 * derives the UUID of an image from the tree's names, metadata, xattrs and content unless one is
 * given
 * (-U), and marks an ext2/3/4 image whose UUID it derived by giving it the directory hash seed
 * rc_base_seal(UUID). Two such images with one UUID hold one tree, so a base fingerprint may
 * rest on the UUID and a stat walk (which sees every change made in place) without reading
 * the content (overlay-reconcile(8), FINGERPRINT). Written by mkbase, read by the reconcile
 * engine. A UUID given by hand gets the hash seed UUID itself, never the seal.
 */
#define RC_EXT_SB_OFFSET 1024 /* the primary ext2/3/4 superblock, bytes into the device */
#define RC_EXT_SB_SIZE 1024

/* The hash seed that marks a content-derived UUID: the UUID's bytes XORed with a fixed
 * pattern (no builder other than sharedroot-mkbase gives a seed so related to the UUID). */
static inline void rc_base_seal(const uint8_t uuid[16], uint8_t seed[16])
{
    static const uint8_t pattern[16] = "sharedroot-mkb1";
    for (int i = 0; i < 16; i++)
        seed[i] = uuid[i] ^ pattern[i];
}

/* Whether an ext2/3/4 superblock (RC_EXT_SB_SIZE bytes as on disk) carries the seal: the
 * ext magic, and s_hash_seed equal to rc_base_seal(s_uuid). Pure. */
static inline bool rc_ext_sb_sealed(const uint8_t sb[RC_EXT_SB_SIZE])
{
    uint8_t seed[16];
    if (sb[0x38] != 0x53 || sb[0x39] != 0xEF) /* s_magic 0xEF53, little endian */
        return false;
    rc_base_seal(sb + 0x68, seed);           /* s_uuid */
    return memcmp(sb + 0xEC, seed, 16) == 0; /* s_hash_seed */
}

/*
 * The sealed write state: what sharedroot-mkbase leaves in the superblock of an image it sealed
 * (after settling its times), derived from the UUID. A read-write mount by the kernel raises
 * the mount count and sets the mount and write times; a libext2fs tool that writes (debugfs -w,
 * tune2fs, e2fsck fixing, resize2fs) sets the write time to its clock (or E2FSPROGS_FAKE_TIME),
 * and the kernel and a libext2fs tool flushing data add to the kilobytes written. So an image
 * whose superblock still holds all of these was not written since mkbase sealed it
 * (overlay-reconcile(8), FINGERPRINT, says what this cannot see). The write time is in
 * January 1970 (1 to 2^20 s after the epoch): no write with a clock that is set gives it, and
 * mkbase's own E2FSPROGS_FAKE_TIME (the tree's time) does not either.
 */
struct rc_write_seal {
    uint32_t wtime;  /* s_wtime (s_wtime_hi 0) */
    uint64_t kbytes; /* s_kbytes_written, 1 to 2^20 */
};

static inline uint64_t rc_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static inline struct rc_write_seal rc_base_write_seal(const uint8_t uuid[16])
{
    static const uint8_t pattern[16] = "sharedroot-wst1";
    uint8_t v[16];
    for (int i = 0; i < 16; i++)
        v[i] = uuid[i] ^ pattern[i];
    /* every bit of the UUID moves both (MurmurHash3's 64-bit finalizer) */
    uint64_t h = rc_le(v, 8) ^ rc_le(v + 8, 8);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (struct rc_write_seal){.wtime = 1 + (uint32_t)(h & 0xFFFFF),
                                  .kbytes = 1 + ((h >> 32) & 0xFFFFF)};
}

/* Whether a sealed superblock (rc_ext_sb_sealed) still holds the sealed write state: clean
 * (s_state exactly EXT2_VALID_FS), never mounted read-write (mount count 0, mount time 0), no
 * error recorded, the write time and kilobytes written of rc_base_write_seal(s_uuid). Pure. */
static inline bool rc_ext_sb_untouched(const uint8_t sb[RC_EXT_SB_SIZE])
{
    if (!rc_ext_sb_sealed(sb))
        return false;
    struct rc_write_seal w = rc_base_write_seal(sb + 0x68);
    return rc_le(sb + 0x3A, 2) == 1 &&         /* s_state: valid, no error */
           rc_le(sb + 0x34, 2) == 0 &&         /* s_mnt_count */
           rc_le(sb + 0x2C, 4) == 0 &&         /* s_mtime */
           sb[0x275] == 0 &&                   /* s_mtime_hi */
           rc_le(sb + 0x30, 4) == w.wtime &&   /* s_wtime */
           sb[0x274] == 0 &&                   /* s_wtime_hi */
           rc_le(sb + 0x178, 8) == w.kbytes && /* s_kbytes_written */
           rc_le(sb + 0x194, 4) == 0;          /* s_error_count */
}

struct rc_record_result {
    char fingerprint[RC_HASH_HEX];
    struct rc_fp_info fp; /* what the fingerprint rests on */
    bool skipped;         /* unchanged base: only the fingerprint was computed */
    bool same_content;    /* recorded under a new fingerprint, with the content of the newest
                             record (stat evidence changed, or a record of an older release) */
    bool reused;          /* the base was recorded before (a rollback): history only */
    size_t entries;       /* paths in the base */
    size_t objects_added; /* new objects written (deduplicated) */
    char why[512];        /* when rc_record fails: what failed, naming the path */
};

struct rc_report {
    char *name; /* the overlaid dir ("/etc"), or the upper path */
    char *lower, *upper, *store, *merge_base_dir;
    enum rc_policy policy;
    struct rc_entry *entries; /* sorted by the order of the walk (names sorted per dir) */
    size_t n_entries, cap_entries;
    size_t counts[RC_OUTCOME_COUNT];
    bool journal_resumed; /* an interrupted apply was completed first */
    bool journal_pending; /* report mode found an interrupted apply (run --apply) */
    char *run_id;         /* apply: the backups/ subdir of this run */
    char *root;           /* the trusted root of upper and store (NULL: found per path) */
    size_t n_ignored;     /* entries on the ignore list (not in counts[]) */
    bool recorded;        /* the lower was recorded into the store by this run (record) */
    bool outcomes_reused; /* base and upper unchanged since a settled boot: counts[] are that
                           * boot's (store/settled), entries[] is empty, nothing was applied */
    struct rc_record_result record;
    bool inside_listed; /* classified with list_inside: for looking only */
    int error;          /* 0, or the negative errno that stopped the overlay */
    char *error_text;   /* what failed, for a human */
};

struct rc_options {
    bool userxattr;          /* read only user.overlay.* markers (a userxattr mount); without it
                                trusted.overlay.* is read too and CAP_SYS_ADMIN is required */
    unsigned max_depth;      /* deepest dir level walked; 0 = 4096 */
    uint64_t max_merge_size; /* largest file given a line merge; 0 = 64 MiB (a merge base
                              * bigger than RC_STORE_CONTENT_MAX is not in a store) */
    const char *ignore;      /* paths that raise no warning and are left alone: patterns
                              * (fnmatch, on the overlaid path: "/etc/.pwd.lock"), comma-
                              * separated; "default" stands for RC_IGNORE_DEFAULT. NULL: the
                              * default list; "": nothing ignored */
    uint64_t max_hash_size;  /* largest file hashed; 0 = 1 GiB. A bigger one is compared by
                              * size only, so it is never found redundant or base-updated */
    bool list_inside;        /* also report every path inside a dir of the upper the base does
                              * not have as a dir (host-only, deleted in the base, a dir over a
                              * base file), each with its own outcome, after the dir: for
                              * listings (sharedroot-instance status); rc_apply refuses such a
                              * report (-EINVAL), which judges the dir whole */
    /* Test hook: called at each crash-safe step of an apply with a running step number
     * (1, 2, ...); overlay-reconcile _exits there when SHAREDROOT_RECONCILE_CRASH_AT=N. */
    void (*step_hook)(void *userdata, unsigned step);
    void *step_userdata;
};

/* Upper and store are on a guest's instance disk: every component below their trusted root
 * is resolved without following a symlink or crossing a mount (see rc_open_typed below
 * and "PATHS" in overlay-reconcile(8)). The lower and a merge base dir are the admin's. */
struct rc_overlay {
    const char *name;           /* label, e.g. "/etc" (NULL: the upper path) */
    const char *lower;          /* the base dir now */
    const char *upper;          /* the host's upper dir */
    const char *store;          /* the record store (NULL: none) */
    const char *merge_base_dir; /* merge base from a dir instead of the store (NULL: none) */
    const char *root;           /* trusted root of upper and store: the instance's mount point
                                 * (NULL: the mount point holding each path) */
};

/* The default ignore list: lock files and churn that systems rewrite by themselves. */
#define RC_IGNORE_DEFAULT                                                                          \
    "/etc/.pwd.lock,/etc/*.lock,/etc/passwd-,/etc/group-,/etc/shadow-,/etc/gshadow-,"              \
    "/etc/subuid-,/etc/subgid-,/etc/.updated,/var/.updated,/etc/adjtime,"                          \
    "/var/lib/dpkg/lock,/var/lib/dpkg/lock-frontend,/var/lib/apt/lists/lock,"                      \
    "/var/cache/apt/archives/lock,/var/cache/ldconfig/aux-cache,/var/log/wtmp,/var/log/btmp,"      \
    "/var/log/lastlog,/var/log/faillog"

const char *rc_outcome_name(enum rc_outcome o);
/* RC_OUTCOME_COUNT when name is not an outcome. */
enum rc_outcome rc_outcome_from_name(const char *name);
/* Everything except host-only, unchanged and metadata-only needs attention (exit 1). */
bool rc_outcome_needs_attention(enum rc_outcome o);
const char *rc_kind_name(enum rc_kind k);
const char *rc_policy_name(enum rc_policy p);
/* -EINVAL for anything but "report", "safe", "merge". */
int rc_policy_from_name(const char *name, enum rc_policy *out);
const char *rc_action_name(enum rc_action a);
/* Whether line merges (policy merge) can run here: libgit2 is loaded with dlopen, and an
 * initramfs built without --with-merge has none. */
bool rc_merge_available(void);

/* The fingerprint of a base dir: SHA-256 over its filesystem's identity (type, UUID) and a stat
 * walk (paths, types, modes, owners, sizes, mtimes, ctimes, inode numbers, symlink targets);
 * and over every file's content and xattrs when the stat evidence cannot be trusted (a
 * read-only image format, or settled times) and the files hold at most RC_FP_CONTENT_MAX
 * bytes. A dir of a sealed image never written since it was built (rc_ext_sb_untouched): the
 * UUID and the dir's own stat record only, no walk. */
int rc_fingerprint(const char *lower, char out[RC_HASH_HEX]);
/* What a fingerprint rests on, for a message: "stat walk only", "stat walk and the content of
 * 95 files, 604 KiB: a read-only image", ... */
void rc_fp_evidence_text(const struct rc_fp_info *fp, char *buf, size_t n);

/* Record the base dir ov->lower into ov->store (created if missing, below ov->root): when the
 * fingerprint equals the newest recorded one nothing is written; when a snapshot with that
 * fingerprint exists only the history grows; else every file is hashed and copied into
 * objects/ (deduplicated) and a snapshot written. res->why says what failed. */
int rc_record(const struct rc_overlay *ov, struct rc_record_result *res);

/* -EPERM when markers in trusted.* cannot be read (no CAP_SYS_ADMIN) and opts->userxattr is
 * not set. */
int rc_check_privileges(const struct rc_options *opts);

/*
 * A path an admin typed (--upper, --store, a state file's paths): its trusted root is the
 * mount point of the filesystem holding it (the deepest mount point in /proc/self/mountinfo
 * that is a prefix of the path, or root when one is given). The path is made absolute (from
 * $PWD when it names the working directory, as the shell shows it), "." and ".." are taken
 * lexically, and then:
 *   - the dirs above the trusted root must be real dirs (no symlink), owned by root or by us,
 *     and not writable by group or others unless sticky;
 *   - everything from the trusted root down is resolved beneath it with no symlink and no
 *     other mount crossed (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV).
 * With create, missing dirs below the root are made with mode. Returns an fd of the dir, or a
 * negative errno with *msg (when msg is not NULL; free it) saying which prefix is at fault and
 * why ("/mnt/host1/overlay is a symlink ...").
 */
int rc_open_typed(const char *path, const char *root, bool create, mode_t mode, char **msg);

/*
 * Looking at an upper dir as the engine does (sharedroot-instance status lists one so):
 * rc_inspect describes one entry (kind, overlay markers, metadata, content hash) without
 * following symlinks or opening anything but regular files and dirs; rc_walk visits a tree
 * iteratively (no recursion, so a hostile deep tree cannot exhaust the stack), names sorted by
 * bytes in each dir.
 */
/* Which overlay markers to honour: none (a base dir), user.overlay.* only (userxattr
 * mounts), or trusted.overlay.* and user.overlay.*. */
enum rc_markers {
    RC_MARKERS_NONE,
    RC_MARKERS_USER,
    RC_MARKERS_ALL,
};

/* Describe dirfd/name. -ENOENT when absent (v->kind = RC_ABSENT). parent_x: the parent dir is
 * marked overlay.opaque="x", so a zero-size file with overlay.whiteout is a whiteout. */
int rc_inspect(int dirfd, const char *name, enum rc_markers mk, bool parent_x, bool want_hash,
               struct rc_version *v);
/* rc_inspect of an entry whose lstat the caller has (a walk's): the same description, without
 * looking the name up again; what is opened is still checked to be that entry (-ESTALE). */
int rc_inspect_stat(int dirfd, const char *name, const struct stat *st, enum rc_markers mk,
                    bool parent_x, bool want_hash, struct rc_version *v);
/* Describe an open dir itself (the root of a walk): markers and metadata. */
int rc_inspect_dirfd(int fd, enum rc_markers mk, struct rc_version *v);

/* One entry met by rc_walk. */
struct rc_walk_entry {
    const char *path;       /* relative to the root of the walk */
    const char *name;       /* its last component */
    int dirfd;              /* the dir holding it */
    int dirfd2;             /* the same dir in the second tree, or -1 */
    const struct stat *st;  /* its lstat */
    unsigned parent_flags;  /* what the visit of its dir set in descend_flags */
    unsigned depth;         /* 1 for an entry of the root */
    bool descend;           /* out: walk into this dir (preset: it is a dir) */
    unsigned descend_flags; /* out: handed to the visits of its entries */
};
typedef int (*rc_walk_fn)(void *ud, struct rc_walk_entry *e);

/* A depth-first walk below rootfd/start, with an optional second tree (rootfd2, e.g. the
 * lower beside an upper) opened in lockstep: each dir's entries are visited, names sorted by
 * bytes, then the subdirs the visits asked for, in name order. Dir fds are held along the
 * current path (the deepest RC_WALK_OPEN levels; a shallower one is reopened by path when
 * it still has subdirs to walk), so a walk is linear in the entries at any depth and never
 * recursive. A non-zero return of fn stops the walk and is returned. A dir deeper than
 * max_depth gives -ENAMETOOLONG and its path in *too_deep (when not NULL; free it). */
#define RC_WALK_OPEN 32u
struct rc_walk {
    int rootfd, rootfd2;
    const char *start;
    unsigned max_depth;
    unsigned root_flags;
    rc_walk_fn fn;
    void *ud;
    char **too_deep;
};
int rc_walk(const struct rc_walk *w);

/* Classify every path of ov->upper. *out is set (also on most errors, with ->error set) and
 * must be freed with rc_report_free. Writes nothing. */
int rc_classify(const struct rc_overlay *ov, const struct rc_options *opts, struct rc_report **out);

/* Apply policy to a classified report: the lower is recorded into the store first (so that
 * what is written follows that base: a settled host reports nothing to do, offline and at its
 * next boot), actions are planned into a journal in the store, each replaced or removed host
 * file is backed up to store/backups/<run>/ first, every write is temp file + fsync + rename.
 * Needs a store. Ignored entries are left alone. -EBUSY when the upper is the upperdir of a
 * mounted overlay; -EAGAIN when an interrupted apply is pending (call rc_resume). Per-entry
 * failures are in entry->applied; the return is the first of them. */
int rc_apply(struct rc_report *rep, enum rc_policy policy, const struct rc_options *opts);

/* Finish an interrupted apply recorded in ov->store's journal (on ov->upper). 0 when there was
 * none, 1 when one was completed, negative errno on failure (the journal is kept for the next
 * run). */
int rc_resume(const struct rc_overlay *ov, const struct rc_options *opts);

/* 1 when the store dir storefd holds the journal of an interrupted apply or reset, 0 when
 * not, negative errno. */
int rc_journal_pending(int storefd);

/* rc_resume + rc_classify + rc_apply (skipped for RC_POLICY_REPORT). */
int rc_reconcile(const struct rc_overlay *ov, enum rc_policy policy, const struct rc_options *opts,
                 struct rc_report **out);

/* 1 when dir is the upperdir= of an overlay in mountinfo (NULL: /proc/self/mountinfo),
 * 0 when not, negative errno when it cannot be told. */
int rc_upper_in_use(const char *dir, const char *mountinfo);
/* The same for an open dir. */
int rc_upper_in_use_fd(int fd, const char *mountinfo);

/* Whether anything in the report needs attention (see rc_outcome_needs_attention), or the
 * report carries an error. */
bool rc_report_needs_attention(const struct rc_report *rep);
/* One line: "/etc: 3 redundant, 1 conflict, ... (applied 4)". */
void rc_report_summary(const struct rc_report *rep, char *buf, size_t size);
/* What an apply changed, plainly, in one sentence ("removed 1 redundant copy (.pwd.lock);
 * took 2 base updates (a.conf, b.conf); backups in STORE/backups/RUN"), or NULL when it
 * changed nothing. Free it. */
char *rc_report_applied_text(const struct rc_report *rep);
/* Whether path (relative to the overlaid dir name) is on the ignore list (see
 * rc_options.ignore). */
bool rc_ignored(const char *ignore, const char *name, const char *path);
/* JSON of n reports (schema in overlay-reconcile.8). */
int rc_report_write_json(FILE *f, struct rc_report *const *reps, size_t n);
/* ,"key":"val" (null for NULL), and ,"key_hex":"..." with the exact bytes when val is not
 * valid UTF-8. */
void rc_json_field(FILE *f, const char *key, const char *val);
/* Same, to path through a temp file + fsync + rename. */
int rc_report_save_json(struct rc_report *const *reps, size_t n, const char *path);
/* Human text, grouped by outcome; with diff, a unified diff of what apply would change. */
int rc_report_write_text(FILE *f, const struct rc_report *rep, bool diff);
void rc_report_free(struct rc_report *rep);

/* A store file written by sharedroot-instance create: the instance was made for its first
 * boot, so the store's first recording is the merge base of every upper path made before it
 * (the host name, keys and files create put in the upper), not an unknown one. Read only
 * while the store has no history; its content is not used. */
#define RC_STORE_PREPARED "prepared"
#define RC_STORE_PREPARED_TEXT                                                                     \
    "Made by sharedroot-instance create: the first base recorded here is the merge base of\n"      \
    "every file the instance had before its first boot.\n"

/* --- Resetting upper paths (reconcile/reset.c; the request format is in reset.h) --- */

#define RC_RESET_REQUEST "reset"

struct rc_reset_result {
    char run[64]; /* the backups/ subdir of this reset */
    char **done;  /* paths moved to the backups ("" for none: all entries are listed) */
    size_t n_done, cap_done;
    char **absent; /* asked for but not in the upper: the base shows already */
    size_t n_absent, cap_absent;
    /* What a reset inside an opaque dir changed besides the move (relative paths): */
    char **unopaqued; /* opaque dirs on the way that are opaque no more */
    size_t n_unopaqued, cap_unopaqued;
    char **whiteouts; /* whiteouts added for the base entries those dirs hid */
    size_t n_whiteouts, cap_whiteouts;
    char **opaqued; /* dirs of the upper marked opaque, so that the base's dir stays hidden */
    size_t n_opaqued, cap_opaqued;
    bool resumed;  /* an interrupted apply or reset was finished first */
    char why[512]; /* what failed, naming the path */
};

/*
 * Reset paths (relative to the overlaid dir; "" stands for every entry of the upper) of
 * ov->upper into ov->store (made if missing), below ov->root as rc_sources_open resolves them.
 * -EBUSY when the upper is the upperdir of a mounted overlay, -EINVAL for an unsafe path,
 * -EXDEV when the store is on another filesystem than the upper.
 *
 * A path inside an opaque dir D of the upper (trusted. or user.overlay.opaque="y" on an
 * ancestor) whose base version exists needs the base, ov->lower: D's opaque mark is dropped,
 * and so that everything else D hid stays hidden, a whiteout is added for each base entry of D
 * that the upper lacks and an opaque mark (in D's namespaces) on each dir of the upper that
 * the base has as a dir, D's own and each dir on the way down to the path likewise; then the
 * path is moved. Only the path's merged view changes. These steps are planned into the store's
 * journal and carried out as an apply is (apply.h): a crash leaves the merged view as it was
 * (or as it will be), and the next rc_reset, rc_resume or rc_reconcile finishes them. Without
 * ov->lower such a path is refused before anything is changed: -EOPNOTSUPP, why naming D.
 * An interrupted apply or reset in the journal is finished first. opts: step_hook only (may
 * be NULL).
 */
int rc_reset(const struct rc_overlay *ov, char *const *paths, size_t n,
             const struct rc_options *opts, struct rc_reset_result *res);
void rc_reset_result_done(struct rc_reset_result *res);
/* The topmost opaque dir (trusted. or user.overlay.opaque="y") among the ancestors of path in
 * the upper dir upperfd: 1 and *dir (relative; free it), 0 when there is none (or the path is
 * not there), negative errno. */
int rc_reset_opaque_above(int upperfd, const char *path, char **dir);
/* What a reset changed besides moving paths, in one sentence, paths with dir/ before them
 * ("no longer opaque: /etc/app; whiteouts added (what it hid stays hidden): /etc/app/b.conf;
 * marked opaque (the base's dir stays hidden): /etc/app/sub"), at most 8 names of each kind;
 * NULL when nothing (or out of memory). Free it. */
char *rc_reset_changes_text(const struct rc_reset_result *res, const char *dir);

/* Add paths to the request in ov->store (kept with what it asks already; written atomically).
 * why says what failed. */
int rc_reset_request(const struct rc_overlay *ov, char *const *paths, size_t n, char *why,
                     size_t wn);
/* Carry out the request in ov->store and remove it: 0 when there is none, 1 when done (res
 * says what), negative errno with res->why (the request stays for the next boot). Without a
 * request, a reset that a crash interrupted (its journal in the store) is finished: 1 and
 * res->resumed. */
int rc_reset_pending(const struct rc_overlay *ov, const struct rc_options *opts,
                     struct rc_reset_result *res);
void rc_reset_paths_free(char **paths, size_t n);

/* --- The base as an instance's store recorded it last (for tools that list an upper) --- */

struct rc_recorded;
/* Take the store dir storefd (owned from here on) and load its newest snapshot: 0 and *out
 * (NULL when nothing was recorded yet), or a negative errno. */
int rc_recorded_open(int storefd, struct rc_recorded **out);
/* Whether the recorded base has path (relative to the overlaid dir). */
bool rc_recorded_has(const struct rc_recorded *r, const char *path);
/* Its fingerprint (hex). */
const char *rc_recorded_fingerprint(const struct rc_recorded *r);
void rc_recorded_free(struct rc_recorded *r);

/* --- The running guest's overlays, from /run/sharedroot/state (state.h has the format) --- */

#define RC_STATE_PATH "/run/sharedroot/state"

struct rc_state_overlay {
    char *dir, *lower, *upper, *work, *store;
    char *applied; /* what the boot's policy did to this overlay, one sentence (or NULL) */
    bool userxattr;
};

struct rc_state {
    struct rc_state_overlay *ov;
    size_t n;
    char *ignore; /* RECONCILE_IGNORE, or NULL */
};

/* Read the state file: -ENOENT when missing, -EFBIG when over 1 MiB, -EBADMSG with why when
 * malformed. */
int rc_state_load(const char *path, struct rc_state *st, char *why, size_t whylen);
void rc_state_done(struct rc_state *st);
