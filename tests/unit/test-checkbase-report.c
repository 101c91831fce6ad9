// SPDX-License-Identifier: GPL-2.0-or-later
#define TESTLIB_IMPLEMENTATION
#include "testlib.h"

#include "checks.h"
#include "report.h"

static char *report_of(const struct findings *f, int json)
{
    struct actions a = {0};
    struct notes n = {0};
    notes_add(&n, "a note");
    struct report r = {"img\x01", "image", NULL, f, &a, &n, NULL, NULL};
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (json)
        report_json(out, &r);
    else
        report_text(out, &r);
    fclose(out);
    notes_done(&n);
    return buf;
}

static const struct check *check_named(const char *id)
{
    size_t n;
    const struct check *t = checks_table(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].id, id) == 0)
            return &t[i];
    return NULL;
}

TEST(report_counts_errors_and_warnings)
{
    struct findings f = {0};
    CHECK_INT(findings_add(&f, check_named("machine-id"), "/etc/machine-id", "holds %s", "x"), 0);
    CHECK_INT(findings_add(&f, check_named("hostname"), "/etc/hostname", "holds \"a\nb\""), 0);
    char *j = report_of(&f, 1);
    CHECK(strstr(j, "\"errors\":1,\"warnings\":1}") != NULL);
    CHECK(strstr(j, "\"detail\":\"holds \\\"a\\u000ab\\\"\"") != NULL);
    CHECK(strstr(j, "\"target\":\"img\\u0001\"") != NULL);
    CHECK(strstr(j, "\"notes\":[\"a note\"]") != NULL);
    char *t = report_of(&f, 0);
    CHECK(strstr(t, "error: machine-id: /etc/machine-id\n") != NULL);
    CHECK(strstr(t, "found: holds \"a\\x0ab\"") != NULL);
    CHECK(strstr(t, "img\\x01: 1 error, 1 warning\n") != NULL);
    free(j);
    free(t);
    findings_done(&f);
}

TEST(report_without_findings_says_so)
{
    struct findings f = {0};
    char *t = report_of(&f, 0);
    CHECK(strstr(t, ": no findings\n") != NULL);
    char *j = report_of(&f, 1);
    CHECK(strstr(j, "\"findings\":[]") != NULL);
    free(t);
    free(j);
}

TEST(every_check_has_id_reason_fix_and_run)
{
    size_t n;
    const struct check *t = checks_table(&n);
    CHECK(n >= 15);
    for (size_t i = 0; i < n; i++) {
        CHECK(t[i].id && *t[i].id && t[i].problem && *t[i].problem && t[i].fix && *t[i].fix);
        CHECK(t[i].run != NULL);
        for (size_t k = 0; k < i; k++)
            CHECK(strcmp(t[i].id, t[k].id) != 0);
    }
}

int main(void)
{
    return test_main();
}
