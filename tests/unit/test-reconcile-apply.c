// SPDX-License-Identifier: GPL-2.0-or-later
/* The store (recording, fingerprints, merge base by time), apply (policies, backups, crash
 * safety at every step), the mounted-upper check and the JSON escaping. */
#include <sys/wait.h>

#include "store.h"
#include "test-reconcile-fixture.h"
#include "testlib.h"

/* Base v1 recorded, the host edits, base v2 recorded: the boot's order. */
static void scenario(struct fx *f)
{
    struct rc_record_result res;
    fx_write(f->lower, "merge.conf", "a\nb\nc\nd\ne\nf\ng\n");
    fx_write(f->lower, "conflict.conf", "one\n");
    fx_write(f->lower, "same", "x\n");
    fx_write(f->lower, "upd", "v1\n");
    fx_write(f->lower, "chmodded", "v1\n");
    if (fx_record(f->lower, f->store, &res) < 0)
        abort();
    fx_tick();
    fx_write(f->upper, "merge.conf", "A\nb\nc\nd\ne\nf\ng\n");
    fx_write(f->upper, "conflict.conf", "host\n");
    fx_write(f->upper, "same", "x\n");
    fx_write(f->upper, "upd", "v1\n");
    fx_write(f->upper, "chmodded", "v1\n");
    fx_chmod(f->upper, "chmodded", 0600);
    fx_write(f->upper, "mine", "host only\n");
    fx_tick();
    fx_write(f->lower, "merge.conf", "a\nb\nc\nd\ne\nf\nG\n");
    fx_write(f->lower, "conflict.conf", "two\n");
    fx_write(f->lower, "upd", "v2\n");
    fx_write(f->lower, "chmodded", "v2\n");
    fx_write(f->lower, "same", "x\n");
    fx_chmod(f->lower, "same", 0644);
    if (fx_record(f->lower, f->store, &res) < 0)
        abort();
}

static struct rc_report *classify_store(struct fx *f)
{
    struct rc_overlay ov = {
        .name = "/etc", .lower = f->lower, .upper = f->upper, .store = f->store};
    struct rc_report *r = NULL;
    rc_classify(&ov, NULL, &r);
    return r;
}

TEST(record_skips_unchanged_base_and_dedups)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "a", "same\n");
    fx_write(f.lower, "b", "same\n");
    struct rc_record_result r1, r2, r3;
    CHECK_INT(fx_record(f.lower, f.store, &r1), 0);
    CHECK(!r1.skipped && !r1.reused);
    CHECK_INT(r1.entries, 2);
    CHECK_INT(r1.objects_added, 1); /* two paths, one content */
    CHECK_INT(fx_record(f.lower, f.store, &r2), 0);
    CHECK(r2.skipped);
    CHECK_STR(r2.fingerprint, r1.fingerprint);
    fx_write(f.lower, "c", "new\n");
    CHECK_INT(fx_record(f.lower, f.store, &r3), 0);
    CHECK(!r3.skipped);
    CHECK_INT(r3.objects_added, 1);
    CHECK(strcmp(r3.fingerprint, r1.fingerprint) != 0);
    fx_done(&f);
}

/* The fingerprint's rule (FINGERPRINT in overlay-reconcile(8)): stat evidence is trusted on a
 * writable filesystem whose times the kernel kept; a read-only image format, or settled
 * times, add the content, up to the budget. */
TEST(fingerprint_evidence_rule)
{
    CHECK(rc_fp_image_fs(0xE0F5E1E2));  /* erofs */
    CHECK(rc_fp_image_fs(0x73717368));  /* squashfs */
    CHECK(rc_fp_image_fs(0x28cd3d45));  /* cramfs */
    CHECK(rc_fp_image_fs(0x9660));      /* iso9660 */
    CHECK(!rc_fp_image_fs(0xEF53));     /* ext4 */
    CHECK(!rc_fp_image_fs(0x01021994)); /* tmpfs */
    CHECK(!rc_fp_image_fs(0x58465342)); /* xfs */
    CHECK(!rc_fp_image_fs(0));
    CHECK_INT(rc_fp_evidence_for(false, true, 1u << 30), RC_FP_STAT);
    CHECK_INT(rc_fp_evidence_for(false, false, 0), RC_FP_CONTENT);
    CHECK_INT(rc_fp_evidence_for(true, true, 600 * 1024), RC_FP_CONTENT);
    CHECK_INT(rc_fp_evidence_for(true, true, RC_FP_CONTENT_MAX), RC_FP_CONTENT);
    CHECK_INT(rc_fp_evidence_for(true, true, RC_FP_CONTENT_MAX + 1ull), RC_FP_STAT_TOO_LARGE);
    CHECK_INT(rc_fp_evidence_for(false, false, UINT64_MAX), RC_FP_STAT_TOO_LARGE);
    char t[160];
    struct rc_fp_info fp = {.evidence = RC_FP_STAT};
    rc_fp_evidence_text(&fp, t, sizeof t);
    CHECK_STR(t, "stat walk only");
    fp = (struct rc_fp_info){
        .evidence = RC_FP_CONTENT, .image_fs = true, .files = 95, .file_bytes = 604 * 1024};
    rc_fp_evidence_text(&fp, t, sizeof t);
    CHECK_STR(t, "stat walk and the content of 95 files, 604 KiB: a read-only image");
    fp = (struct rc_fp_info){.evidence = RC_FP_SEALED, .sealed = true, .files = 95};
    rc_fp_evidence_text(&fp, t, sizeof t);
    CHECK_STR(t, "stat walk and the UUID sharedroot-mkbase derived from the content");
    fp = (struct rc_fp_info){.evidence = RC_FP_SEALED_UNTOUCHED, .sealed = true};
    rc_fp_evidence_text(&fp, t, sizeof t);
    CHECK_STR(t, "the UUID of an image sharedroot-mkbase sealed, not written since: no walk");
    fp = (struct rc_fp_info){.evidence = RC_FP_STAT_TOO_LARGE, .file_bytes = 85u << 20};
    rc_fp_evidence_text(&fp, t, sizeof t);
    CHECK_STR(t, "stat walk and the filesystem's UUID (none found): settled file times, 85 MiB "
                 "of files, too many to hash at boot");
    char small[8];
    rc_fp_evidence_text(&fp, small, sizeof small); /* truncated, terminated */
    CHECK_INT(strlen(small), 7);
}

/* Files just written have ctime == mtime everywhere: settled-looking times, so the content is
 * hashed; a chmod (the kernel moves the ctime alone) makes the times the kernel's. */
TEST(fingerprint_hashes_content_when_times_look_settled)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "a.conf", "v=1\n");
    fx_write(f.lower, "d/b", "b\n");
    /* the dirs too: their ctime and mtime were set by the same creations */
    struct timespec ts[2] = {{.tv_sec = 1700000000}, {.tv_sec = 1700000000}};
    char p[256];
    const char *all[] = {"", "/a.conf", "/d", "/d/b"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", f.lower, all[i]);
        utimensat(AT_FDCWD, p, ts, 0);
    }
    /* utimensat moved the ctimes to now and the mtimes to 2023: the kernel's times */
    struct rc_fp_info info;
    char fp1[RC_HASH_HEX], fp2[RC_HASH_HEX];
    int fd = open(f.lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK_INT(rc_fingerprint_fd(fd, 64, &info, fp1, NULL), 0);
    CHECK_INT(info.evidence, RC_FP_STAT);
    CHECK_INT(info.files, 2);
    CHECK_INT(info.file_bytes, 6);
    CHECK_STR(info.fs_id, ""); /* tmpfs: no block device, no UUID */
    close(fd);
    fx_done(&f);

    fx_init(&f);
    fx_write(f.lower, "a.conf", "v=1\n");
    fd = open(f.lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    fstatat(fd, "a.conf", &st, 0);
    bool settled =
        st.st_ctim.tv_sec == st.st_mtim.tv_sec && st.st_ctim.tv_nsec == st.st_mtim.tv_nsec;
    fstat(fd, &st);
    settled = settled && st.st_ctim.tv_sec == st.st_mtim.tv_sec &&
              st.st_ctim.tv_nsec == st.st_mtim.tv_nsec;
    CHECK_INT(rc_fingerprint_fd(fd, 64, &info, fp1, NULL), 0);
    CHECK(settled); /* a creation and a write stamp ctime and mtime with one time */
    CHECK_INT(info.evidence, RC_FP_CONTENT);
    CHECK_INT(info.files, 1);
    CHECK_INT(rc_fingerprint_fd(fd, 64, NULL, fp2, NULL), 0);
    CHECK_STR(fp1, fp2); /* the same tree, the same fingerprint */
    fx_chmod(f.lower, "a.conf", 0600);
    CHECK_INT(rc_fingerprint_fd(fd, 64, &info, fp2, NULL), 0);
    CHECK_INT(info.evidence, RC_FP_STAT);
    CHECK(strcmp(fp1, fp2) != 0);
    close(fd);
    fx_done(&f);
}

/* The content pass collected by the stat pass on its way is the one a second walk gives: the
 * same fingerprint either way, for every kind of entry, and for a dir whose times turn out
 * to be the kernel's only after some entries were collected. */
TEST(fingerprint_content_collected_on_the_way_is_the_second_walk)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "a.conf", "v=1\n");
    fx_write(f.lower, "empty", "");
    fx_write(f.lower, "sub/deeper/b.conf", "b\n");
    fx_write(f.lower, "sub/c", "see\n");
    fx_symlink(f.lower, "sub/link", "../a.conf");
    char p[256];
    snprintf(p, sizeof p, "%s/sub/fifo", f.lower);
    CHECK_INT(mkfifo(p, 0644), 0);
    size_t keep = rc_fp_collect_max;
    struct rc_fp_info info;
    char fp1[RC_HASH_HEX], fp2[RC_HASH_HEX];
    int fd = open(f.lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK_INT(rc_fingerprint_fd(fd, 64, &info, fp1, NULL), 0);
    CHECK_INT(info.evidence, RC_FP_CONTENT);
    CHECK_INT(info.files, 4);
    rc_fp_collect_max = 0; /* every record is over it: the second walk */
    CHECK_INT(rc_fingerprint_fd(fd, 64, &info, fp2, NULL), 0);
    CHECK_INT(info.evidence, RC_FP_CONTENT);
    CHECK_STR(fp1, fp2);
    rc_fp_collect_max = keep;
    /* the times turn out to be the kernel's in the last dir walked: collected until then */
    fx_done(&f);
    fx_init(&f);
    fx_write(f.lower, "a.conf", "v=1\n");
    fx_write(f.lower, "z/b.conf", "b\n");
    fx_tick(); /* the chmod's ctime after the write's mtime */
    fx_chmod(f.lower, "z/b.conf", 0600);
    close(fd);
    fd = open(f.lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK_INT(rc_fingerprint_fd(fd, 64, &info, fp1, NULL), 0);
    CHECK_INT(info.evidence, RC_FP_STAT);
    rc_fp_collect_max = 0;
    CHECK_INT(rc_fingerprint_fd(fd, 64, &info, fp2, NULL), 0);
    rc_fp_collect_max = keep;
    CHECK_STR(fp1, fp2);
    close(fd);
    fx_done(&f);
}

/* A store written by an older release (its history names fingerprints of the older rule):
 * the next record writes the same manifest under the new fingerprint, says it is the same
 * content, adds no object, and the one after is a skip. */
TEST(record_of_an_old_state_is_the_same_content)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "a", "one\n");
    fx_write(f.lower, "b", "two\n");
    struct rc_record_result r1, r2, r3;
    CHECK_INT(fx_record(f.lower, f.store, &r1), 0);
    CHECK(!r1.same_content); /* the first record has nothing to be the same as */
    char p[256], q[256];
    snprintf(p, sizeof p, "%s/snapshots/%s", f.store, r1.fingerprint);
    snprintf(q, sizeof q, "%s/snapshots/%064d", f.store, 1);
    CHECK_INT(rename(p, q), 0);
    snprintf(p, sizeof p, "1700000000.000000000 %064d\n", 1);
    fx_write(f.store, "history", p);
    CHECK_INT(fx_record(f.lower, f.store, &r2), 0);
    CHECK(!r2.skipped && !r2.reused);
    CHECK(r2.same_content);
    CHECK_INT(r2.objects_added, 0);
    CHECK_STR(r2.fingerprint, r1.fingerprint);
    CHECK_INT(fx_record(f.lower, f.store, &r3), 0);
    CHECK(r3.skipped);
    /* a real change is not "the same content" */
    fx_write(f.lower, "b", "TWO\n");
    CHECK_INT(fx_record(f.lower, f.store, &r3), 0);
    CHECK(!r3.skipped && !r3.same_content);
    fx_done(&f);
}

/* Over the budget, untrusted stat evidence is not hashed (a sparse file: no bytes read). */
TEST(fingerprint_over_the_budget_is_stat_only)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "big", "");
    char p[256];
    snprintf(p, sizeof p, "%s/big", f.lower);
    CHECK_INT(truncate(p, RC_FP_CONTENT_MAX + 1ll), 0);
    struct rc_fp_info info;
    char fp[RC_HASH_HEX];
    int fd = open(f.lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    fstatat(fd, "big", &st, 0);
    CHECK_INT(rc_fingerprint_fd(fd, 64, &info, fp, NULL), 0);
    CHECK(st.st_ctim.tv_sec == st.st_mtim.tv_sec && st.st_ctim.tv_nsec == st.st_mtim.tv_nsec);
    CHECK_INT(info.evidence, RC_FP_STAT_TOO_LARGE);
    CHECK_INT(info.file_bytes, RC_FP_CONTENT_MAX + 1ull);
    close(fd);
    fx_done(&f);
}

TEST(classify_takes_merge_base_from_store_by_time)
{
    struct fx f;
    fx_init(&f);
    scenario(&f);
    struct rc_report *r = classify_store(&f);
    CHECK(r && r->error == 0);
    CHECK_STR(fx_outcome(r, "merge.conf"), "merged");
    CHECK_STR(fx_outcome(r, "conflict.conf"), "conflict");
    CHECK_STR(fx_outcome(r, "same"), "redundant");
    CHECK_STR(fx_outcome(r, "upd"), "base-updated");
    CHECK_STR(fx_outcome(r, "chmodded"), "base-updated");
    CHECK_STR(fx_outcome(r, "mine"), "host-only");
    rc_report_free(r);
    fx_done(&f);
}

TEST(host_copy_older_than_every_record_is_unknown_base)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.upper, "a", "host\n");
    fx_tick();
    fx_write(f.lower, "a", "base\n");
    struct rc_record_result res;
    CHECK_INT(fx_record(f.lower, f.store, &res), 0);
    struct rc_report *r = classify_store(&f);
    CHECK_STR(fx_outcome(r, "a"), "unknown-base");
    rc_report_free(r);
    fx_done(&f);
}

TEST(prepared_store_takes_its_first_record_as_the_merge_base_of_older_copies)
{
    /* sharedroot-instance create writes the host's files before the first boot ever records
     * a base: with the store's "prepared" file they take that first base as merge base. */
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "hostname", "debian\n");
    fx_write(f.upper, "hostname", "web-1\n");
    CHECK_INT(mkdir(f.store, 0700), 0);
    fx_write(f.store, RC_STORE_PREPARED, RC_STORE_PREPARED_TEXT);
    CHECK(fx_exists(f.store, RC_STORE_PREPARED));
    fx_tick();
    struct rc_record_result res;
    CHECK_INT(fx_record(f.lower, f.store, &res), 0);
    struct rc_report *r = classify_store(&f);
    CHECK_STR(fx_outcome(r, "hostname"), "unchanged");
    rc_report_free(r);
    /* A later base update of the file is merged against that first base, as for any copy. */
    fx_tick();
    fx_write(f.lower, "hostname", "debian2\n");
    CHECK_INT(fx_record(f.lower, f.store, &res), 0);
    r = classify_store(&f);
    CHECK_STR(fx_outcome(r, "hostname"), "conflict");
    rc_report_free(r);
    /* Only the first recording is backdated: a copy older than a second store's first
     * recording, without the file, stays unknown. */
    char *h = fx_read(f.store, "history");
    CHECK(h && strncmp(h, "0.000000000 ", 12) == 0 && strchr(h, '\n')[1] != '0');
    free(h);
    fx_done(&f);
}

TEST(prepared_store_before_its_first_record_takes_the_lower_as_merge_base)
{
    /* A report before the first boot (sharedroot-instance status --base): nothing recorded
     * yet, so the base given is what that boot will record, and the merge base of create's
     * files. Without the prepared file the same store leaves them unknown. */
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "hostname", "debian\n");
    fx_write(f.lower, "motd", "base\n");
    fx_write(f.upper, "hostname", "web-1\n");
    fx_write(f.upper, "motd", "base\n");
    fx_write(f.upper, "own", "x\n");
    CHECK_INT(mkdir(f.store, 0700), 0);
    struct rc_report *r = classify_store(&f);
    CHECK_STR(fx_outcome(r, "hostname"), "unknown-base");
    rc_report_free(r);
    fx_write(f.store, RC_STORE_PREPARED, RC_STORE_PREPARED_TEXT);
    r = classify_store(&f);
    CHECK_STR(fx_outcome(r, "hostname"), "unchanged");
    CHECK_STR(fx_outcome(r, "motd"), "redundant");
    CHECK_STR(fx_outcome(r, "own"), "host-only");
    rc_report_free(r);
    CHECK(!fx_exists(f.store, "history"));
    fx_done(&f);
}

TEST(apply_merge_policy_applies_and_backs_up)
{
    struct fx f;
    fx_init(&f);
    scenario(&f);
    struct rc_overlay ov = {.name = "/etc", .lower = f.lower, .upper = f.upper, .store = f.store};
    struct rc_report *r = NULL;
    CHECK_INT(rc_reconcile(&ov, RC_POLICY_MERGE, NULL, &r), 0);
    char *m = fx_read(f.upper, "merge.conf");
    CHECK_STR(m, "A\nb\nc\nd\ne\nf\nG\n");
    free(m);
    CHECK(!fx_exists(f.upper, "same"));
    CHECK(!fx_exists(f.upper, "upd"));
    char *c = fx_read(f.upper, "chmodded");
    CHECK_STR(c, "v2\n");
    free(c);
    struct stat st;
    char p[256];
    snprintf(p, sizeof p, "%s/chmodded", f.upper);
    CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600);
    char *h = fx_read(f.upper, "conflict.conf");
    CHECK_STR(h, "host\n"); /* a conflict is never resolved */
    free(h);
    const struct rc_entry *e = fx_entry(r, "conflict.conf");
    CHECK(e && e->base_object && e->conflict_object);
    if (e && e->conflict_object) {
        char *markers = fx_read(f.store, e->conflict_object);
        CHECK(markers && strstr(markers, "<<<<<<<"));
        free(markers);
    }
    e = fx_entry(r, "same");
    CHECK(e && e->applied == 1 && e->backup);
    if (e && e->backup) {
        char *b = fx_read(f.store, e->backup);
        CHECK_STR(b, "x\n");
        free(b);
    }
    CHECK(!fx_exists(f.store, "journal"));
    rc_report_free(r);
    /* Next run: everything settled. */
    CHECK_INT(rc_reconcile(&ov, RC_POLICY_MERGE, NULL, &r), 0);
    CHECK_STR(fx_outcome(r, "merge.conf"), "unchanged");
    CHECK_STR(fx_outcome(r, "conflict.conf"), "conflict");
    CHECK_STR(fx_outcome(r, "chmodded"), "metadata-only");
    rc_report_free(r);
    fx_done(&f);
}

TEST(apply_safe_policy_leaves_merges)
{
    struct fx f;
    fx_init(&f);
    scenario(&f);
    struct rc_overlay ov = {.name = "/etc", .lower = f.lower, .upper = f.upper, .store = f.store};
    struct rc_report *r = NULL;
    CHECK_INT(rc_reconcile(&ov, RC_POLICY_SAFE, NULL, &r), 0);
    char *m = fx_read(f.upper, "merge.conf");
    CHECK_STR(m, "A\nb\nc\nd\ne\nf\ng\n");
    free(m);
    CHECK(!fx_exists(f.upper, "same"));
    rc_report_free(r);
    fx_done(&f);
}

/* The boot's default: policy safe in an initramfs without libgit2 (no --with-merge). The
 * merge candidate becomes a conflict with a note; the base updates are still taken. */
TEST(apply_safe_policy_without_libgit2_still_takes_base_updates)
{
    struct fx f;
    fx_init(&f);
    scenario(&f);
    setenv("SHAREDROOT_LIBGIT2", "libgit2-not-here.so.0", 1);
    struct rc_overlay ov = {.name = "/etc", .lower = f.lower, .upper = f.upper, .store = f.store};
    struct rc_report *r = NULL;
    CHECK_INT(rc_reconcile(&ov, RC_POLICY_SAFE, NULL, &r), 0);
    unsetenv("SHAREDROOT_LIBGIT2");
    CHECK(r && r->error == 0);
    CHECK_STR(fx_outcome(r, "merge.conf"), "conflict");
    CHECK_STR(fx_outcome(r, "upd"), "base-updated");
    CHECK(!fx_exists(f.upper, "upd")); /* taken: the base shows through */
    char *c = fx_read(f.upper, "chmodded");
    CHECK_STR(c, "v2\n");
    free(c);
    c = fx_read(f.upper, "merge.conf");
    CHECK_STR(c, "A\nb\nc\nd\ne\nf\ng\n"); /* the host's file, untouched */
    free(c);
    rc_report_free(r);
    fx_done(&f);
}

static void crash_at(void *ud, unsigned step)
{
    if (step == *(unsigned *)ud)
        _exit(99);
}

/* Snapshot of the upper's visible state, to compare crash runs with a clean run. */
static void upper_state(struct fx *f, char *out, size_t n)
{
    static const char *const names[] = {"merge.conf",
                                        "conflict.conf",
                                        "same",
                                        "upd",
                                        "chmodded",
                                        "mine",
                                        ".sharedroot-reconcile.tmp"};
    out[0] = 0;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *c = fx_read(f->upper, names[i]);
        size_t l = strlen(out);
        snprintf(out + l, n - l, "%s=%s;", names[i], c ? c : "(absent)");
        free(c);
    }
}

TEST(apply_interrupted_at_every_step_completes_next_run)
{
    char want[4096], got[4096];
    struct fx f;
    fx_init(&f);
    scenario(&f);
    struct rc_overlay ov = {.lower = f.lower, .upper = f.upper, .store = f.store};
    struct rc_report *r = NULL;
    rc_reconcile(&ov, RC_POLICY_MERGE, NULL, &r);
    rc_report_free(r);
    upper_state(&f, want, sizeof want);
    fx_done(&f);
    unsigned crashed = 0;
    for (unsigned step = 1; step < 40; step++) {
        fx_init(&f);
        scenario(&f);
        struct rc_overlay o2 = {.lower = f.lower, .upper = f.upper, .store = f.store};
        pid_t pid = fork();
        if (pid == 0) {
            struct rc_options opts = {.step_hook = crash_at, .step_userdata = &step};
            struct rc_report *cr = NULL;
            rc_reconcile(&o2, RC_POLICY_MERGE, &opts, &cr);
            rc_report_free(cr);
            _exit(0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        bool died = WIFEXITED(status) && WEXITSTATUS(status) == 99;
        crashed += died;
        CHECK_INT(rc_reconcile(&o2, RC_POLICY_MERGE, NULL, &r), 0);
        CHECK(r && r->journal_resumed == died && (died || !fx_exists(f.store, "journal")));
        rc_report_free(r);
        upper_state(&f, got, sizeof got);
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "  step %u: got %s\n  want %s\n", step, got, want);
            CHECK(0);
        }
        CHECK(!fx_exists(f.store, "journal"));
        fx_done(&f);
        if (!died)
            break;
    }
    CHECK(crashed >= 10); /* 3 actions x 3-4 steps + the journal */
}

TEST(apply_refuses_while_journal_pending)
{
    struct fx f;
    fx_init(&f);
    scenario(&f);
    fx_write(f.store, "journal", "sharedroot-reconcile-journal 1\nrun x\n");
    struct rc_report *r = classify_store(&f);
    CHECK(r && r->journal_pending);
    CHECK_INT(rc_apply(r, RC_POLICY_SAFE, NULL), -EAGAIN);
    rc_report_free(r);
    fx_done(&f);
}

TEST(apply_never_writes_through_a_swapped_symlink)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "d/x", "1\n");
    struct rc_record_result res;
    CHECK_INT(fx_record(f.lower, f.store, &res), 0);
    fx_tick();
    fx_write(f.upper, "d/x", "1\n");
    struct rc_report *r = classify_store(&f);
    CHECK_STR(fx_outcome(r, "d/x"), "redundant");
    /* Between classify and apply the host swaps d for a symlink to a victim dir. */
    char victim[128], p[128];
    snprintf(victim, sizeof victim, "%s/victim", f.root);
    mkdir(victim, 0755);
    fx_write(victim, "x", "1\n");
    snprintf(p, sizeof p, "%s/d", f.upper);
    fx_rm_rf(p);
    CHECK_INT(symlink(victim, p), 0);
    rc_apply(r, RC_POLICY_SAFE, NULL);
    const struct rc_entry *e = fx_entry(r, "d/x");
    CHECK(e && e->applied < 0);
    CHECK(fx_exists(victim, "x"));
    rc_report_free(r);
    fx_done(&f);
}

TEST(upper_in_use_reads_overlay_upperdir_from_mountinfo)
{
    struct fx f;
    fx_init(&f);
    char mi[256], line[1024];
    snprintf(mi, sizeof mi, "%s/mountinfo", f.root);
    snprintf(line, sizeof line,
             "36 35 0:40 / /mnt rw - ext4 /dev/sda1 rw\n"
             "65 43 0:39 / /m rw,relatime - overlay o rw,lowerdir=/l,upperdir=%s,workdir=/w\n",
             f.upper);
    FILE *o = fopen(mi, "w");
    CHECK(o != NULL);
    if (o) {
        fputs(line, o);
        fclose(o);
    }
    CHECK_INT(rc_upper_in_use(f.upper, mi), 1);
    CHECK_INT(rc_upper_in_use(f.lower, mi), 0);
    fx_done(&f);
}

TEST(json_escapes_any_bytes)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.upper, "q\"\\\x01\xff", "x\n");
    struct rc_report *r = fx_classify_mb(&f, false);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    CHECK_INT(rc_report_write_json(m, &r, 1), 0);
    fclose(m);
    CHECK(buf && strstr(buf, "\"path\":\"q\\\"\\\\\\u0001\\ufffd\""));
    CHECK(buf && strstr(buf, "\"path_hex\":\"71225c01ff\""));
    CHECK(buf && strstr(buf, "\"outcome\":\"host-only\""));
    for (size_t i = 0; buf && i < len; i++)
        CHECK((unsigned char)buf[i] >= 0x20 || buf[i] == '\n');
    free(buf);
    rc_report_free(r);
    fx_done(&f);
}

/* Issue 16: a Dom0 apply of a base that was never booted (so never recorded) leaves the store
 * knowing that base: a settled host reports nothing to do. */
TEST(apply_records_the_new_base)
{
    struct fx f;
    fx_init(&f);
    struct rc_record_result res;
    fx_write(f.lower, "merge.conf", "a\nb\nc\nd\ne\nf\ng\n");
    CHECK_INT(fx_record(f.lower, f.store, &res), 0);
    fx_tick();
    fx_write(f.upper, "merge.conf", "A\nb\nc\nd\ne\nf\ng\n");
    fx_tick();
    fx_write(f.lower, "merge.conf", "a\nb\nc\nd\ne\nf\nG\n"); /* base v2, not recorded */
    struct rc_overlay ov = {.name = "/etc", .lower = f.lower, .upper = f.upper, .store = f.store};
    struct rc_report *r = NULL;
    CHECK_INT(rc_reconcile(&ov, RC_POLICY_MERGE, NULL, &r), 0);
    CHECK_STR(fx_outcome(r, "merge.conf"), "merged");
    rc_report_free(r);
    CHECK_INT(rc_reconcile(&ov, RC_POLICY_REPORT, NULL, &r), 0);
    CHECK_STR(fx_outcome(r, "merge.conf"), "unchanged");
    CHECK(r && !rc_report_needs_attention(r));
    rc_report_free(r);
    /* ... and the boot on that base only does a stat walk */
    CHECK_INT(fx_record(f.lower, f.store, &res), 0);
    CHECK(res.skipped);
    fx_done(&f);
}

/* Issue 16: systemd-sysusers recreates /etc/.pwd.lock at every boot: churn, not a warning. */
TEST(lock_file_churn_is_ignored)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, ".pwd.lock", "");
    fx_chmod(f.lower, ".pwd.lock", 0600);
    fx_write(f.upper, ".pwd.lock", "");
    fx_chmod(f.upper, ".pwd.lock", 0600);
    struct rc_overlay ov = {.name = "/etc", .lower = f.lower, .upper = f.upper, .store = f.store};
    struct rc_report *r = NULL;
    CHECK_INT(rc_reconcile(&ov, RC_POLICY_SAFE, NULL, &r), 0);
    CHECK(r && !rc_report_needs_attention(r));
    const struct rc_entry *e = fx_entry(r, ".pwd.lock");
    CHECK(e && e->outcome == RC_REDUNDANT && e->action == RC_ACT_NONE);
    CHECK(fx_exists(f.upper, ".pwd.lock")); /* left alone: no churn in the store either */
    rc_report_free(r);
    fx_done(&f);
}

int main(void)
{
    return test_main();
}
