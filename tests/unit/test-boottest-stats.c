// SPDX-License-Identifier: GPL-2.0-or-later
/* Statistics, the baseline and the reports of sharedroot-boottest (boottest/stats.c,
 * baseline.c, summary.c, report.c): noisy and failing runs, hostile text in the reports. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "boottest.h"
#include "json.h"
#include "report.h"
#include "stats.h"
#include "testlib.h"

TEST(summary_of_odd_even_and_empty)
{
    struct summary s;
    const double odd[] = {5, 1, 3};
    const double even[] = {4, 1, 3, 2};
    const double noisy[] = {100, 101, 99, 100, 400}; /* one outlier */

    CHECK_INT(summarize(odd, 3, &s), 0);
    CHECK(s.n == 3 && s.median == 3 && s.min == 1 && s.max == 5 && s.mad == 2);
    CHECK_INT(summarize(even, 4, &s), 0);
    CHECK(s.median == 2.5 && s.mad == 1);
    CHECK_INT(summarize(NULL, 0, &s), 0);
    CHECK(s.n == 0 && s.median == 0);
    /* the MAD is robust: one outlier does not make the run look noisy */
    CHECK_INT(summarize(noisy, 5, &s), 0);
    CHECK(s.median == 100 && s.mad == 1 && s.max == 400);
}

static struct summary sum(double median, double mad)
{
    struct summary s = {
        .n = 5, .median = median, .min = median - mad, .max = median + mad, .mad = mad};
    return s;
}

TEST(compare_quiet_runs)
{
    struct summary b = sum(1000, 5), c;
    struct verdict v;

    /* +10% is the threshold; +15% beyond both MADs is a regression */
    c = sum(1150, 5);
    compare_medians(&b, &c, 0.10, 5, &v);
    CHECK(v.regressed);
    CHECK(v.delta == 150);
    CHECK(v.allowed == 110);
    /* +10.5%: inside the noise allowance */
    c = sum(1105, 5);
    compare_medians(&b, &c, 0.10, 5, &v);
    CHECK(!v.regressed);
    /* faster is never a regression */
    c = sum(500, 5);
    compare_medians(&b, &c, 0.10, 5, &v);
    CHECK(!v.regressed);
}

TEST(compare_noisy_runs_needs_more)
{
    struct summary b = sum(1000, 80), c = sum(1250, 90);
    struct verdict v;

    /* +25%, but both runs scatter by 80-90 ms: allowed 100 + 80 + 90 */
    compare_medians(&b, &c, 0.10, 5, &v);
    CHECK(!v.regressed);
    CHECK(v.allowed == 270);
    c = sum(1300, 90);
    compare_medians(&b, &c, 0.10, 5, &v);
    CHECK(v.regressed);
}

TEST(compare_small_stages_use_the_floor)
{
    struct summary b = sum(2, 0), c = sum(6, 0);
    struct verdict v;

    /* a 2 ms stage taking 6 ms is +200% but only 4 ms: under min_delta */
    compare_medians(&b, &c, 0.10, 5, &v);
    CHECK(!v.regressed);
    c = sum(8, 0);
    compare_medians(&b, &c, 0.10, 5, &v);
    CHECK(v.regressed);
    /* a zero baseline does not divide by zero */
    b = sum(0, 0);
    compare_medians(&b, &c, 0.10, 5, &v);
    CHECK(v.ratio == 0 && v.regressed);
}

/* ---- a run made by hand */

static struct run *make_run(const double *handoff, size_t n, unsigned failed)
{
    struct run *run = calloc(1, sizeof *run);

    run->opt.reps = (unsigned)(n + failed);
    run->opt.jobs = 1;
    run->opt.threshold = 0.10;
    run->opt.min_delta_ms = 5;
    run->opt.output = "/nonexistent";
    run->accel_used = "tcg";
    snprintf(run->started, sizeof run->started, "2026-01-01T00:00:00Z");
    run->n_configs = 1;
    run->configs = calloc(1, sizeof *run->configs);
    run->configs[0].cfg.name = strdup("cfg");
    run->configs[0].cfg.kernel = strdup("/k");
    run->configs[0].cfg.handoff = 1;
    run->configs[0].cfg.default_fail = 1;
    run->configs[0].headline = config_headline(&run->configs[0]);
    run->n_boots = n + failed;
    run->boots = calloc(run->n_boots, sizeof *run->boots);
    for (size_t i = 0; i < run->n_boots; i++) {
        struct boot *b = &run->boots[i];
        b->rep = (unsigned)i + 1;
        if (i < n) {
            b->result = BOOT_OK;
            boot_set_metric(b, "handoff", handoff[i]);
            boot_set_metric(b, "wall", handoff[i] * 3);
            boot_set_metric(b, "early", 10);
        } else {
            b->result = BOOT_TIMEOUT;
            snprintf(b->reason, sizeof b->reason, "no handoff line within 120 s");
        }
    }
    CHECK_INT(run_summarize(run), 0);
    return run;
}

static void free_run(struct run *run)
{
    for (size_t i = 0; i < run->n_boots; i++)
        boot_free(&run->boots[i]);
    free(run->boots);
    config_free(&run->configs[0].cfg);
    free(run->configs);
    baseline_result_free(&run->baseline);
    free(run);
}

static char *json_of(const struct run *run)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);

    report_json(f, run);
    fclose(f);
    return s;
}

TEST(summaries_skip_failed_and_warmup_boots)
{
    const double t[] = {3000, 3100, 2900};
    struct run *run = make_run(t, 3, 1);

    run->boots[0].warmup = true;
    CHECK_INT(run_summarize(run), 0);
    const struct summary *s = config_stat(&run->configs[0], "handoff");
    CHECK(s && s->n == 2 && s->median == 3000);
    CHECK_INT(run->configs[0].ok, 3);
    CHECK_INT(run->configs[0].failed, 1);
    CHECK(!run_passed(run));
    CHECK_STR(run->configs[0].headline, "handoff");
    free_run(run);
}

TEST(baseline_round_trip_finds_a_regression)
{
    const double before[] = {3000, 3010, 2990, 3005, 2995};
    const double after[] = {3600, 3590, 3610, 3605, 3595};
    const double same[] = {3020, 2980, 3000, 3010, 2990};
    struct run *base = make_run(before, 5, 0), *run;
    struct base_run br;
    char err[256], *text = json_of(base);

    CHECK_INT(baseline_parse(text, strlen(text), &br, err, sizeof err), 0);
    CHECK_INT(br.n, 1);
    CHECK_STR(br.c[0].name, "cfg");

    run = make_run(after, 5, 0);
    CHECK_INT(baseline_compare(run, &br, "base.json"), 0);
    CHECK(run->baseline.regressions >= 1);
    CHECK(!run_passed(run));
    /* wall is not compared where the guest's clock is the headline */
    for (size_t i = 0; i < run->baseline.n_cmp; i++)
        CHECK(strcmp(run->baseline.cmp[i].metric, "wall") != 0);
    free_run(run);

    run = make_run(same, 5, 0);
    CHECK_INT(baseline_compare(run, &br, "base.json"), 0);
    CHECK_INT(run->baseline.regressions, 0);
    CHECK(run->baseline.n_cmp >= 2); /* handoff and early */
    CHECK(run_passed(run));
    free_run(run);

    baseline_free(&br);
    free(text);
    free_run(base);
}

TEST(baseline_of_a_failing_run_and_missing_configurations)
{
    const double t[] = {3000};
    struct run *base = make_run(t, 0, 3), *run; /* every boot failed: no metrics */
    struct base_run br;
    char err[256], *text = json_of(base);

    CHECK_INT(baseline_parse(text, strlen(text), &br, err, sizeof err), 0);
    run = make_run(t, 1, 0);
    free(run->configs[0].cfg.name);
    run->configs[0].cfg.name = strdup("other");
    CHECK_INT(baseline_compare(run, &br, "b"), 0);
    CHECK_INT(run->baseline.n_cmp, 0);
    CHECK_INT(run->baseline.n_notes, 2); /* other: not in the baseline; cfg: not run */
    CHECK(strstr(run->baseline.notes[0], "other is not in the baseline"));
    CHECK(strstr(run->baseline.notes[1], "cfg of the baseline was not run"));
    CHECK(run_passed(run)); /* notes are not failures */
    free_run(run);
    baseline_free(&br);
    free(text);
    free_run(base);
}

TEST(baseline_refuses_what_is_not_a_report)
{
    static const char *const bad[] = {
        "",
        "{",
        "[]",
        "null",
        "{\"format\":\"other\",\"version\":1,\"configs\":[]}",
        "{\"format\":\"sharedroot-boottest\",\"version\":99,\"configs\":[]}",
        "{\"format\":\"sharedroot-boottest\",\"version\":\"1\",\"configs\":[]}",
        "{\"format\":\"sharedroot-boottest\",\"version\":1}",
        "{\"format\":\"sharedroot-boottest\",\"version\":1,\"configs\":{}}",
        "{\"format\":\"sharedroot-boottest\",\"version\":1,\"configs\":[{}]}",
        "{\"format\":\"sharedroot-boottest\",\"version\":1,\"configs\":[{\"name\":\"a\","
        "\"metrics\":{\"x\":{\"n\":1}}}]}",
        "{\"format\":\"sharedroot-boottest\",\"version\":1,\"configs\":[]} trailing",
    };
    struct base_run br;
    char err[256];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        int r = baseline_parse(bad[i], strlen(bad[i]), &br, err, sizeof err);
        if (r != -EINVAL)
            fprintf(stderr, "  case %zu: %d\n", i, r);
        CHECK_INT(r, -EINVAL);
        CHECK(err[0] != '\0');
        CHECK(br.c == NULL);
    }
    /* deep nesting does not exhaust the stack */
    char deep[20000];
    memset(deep, '[', sizeof deep);
    CHECK_INT(baseline_parse(deep, sizeof deep, &br, err, sizeof err), -EINVAL);
    CHECK_INT(baseline_load("/nonexistent/report.json", &br, err, sizeof err), -ENOENT);
}

TEST(reports_of_hostile_console_text_stay_valid)
{
    const double t[] = {1000};
    struct run *run = make_run(t, 1, 1);
    struct boot *b = &run->boots[1];
    const char *hostile[] = {"quote \" backslash \\ end", "bad utf8 \xff\xfe\xc3",
                             "xml <tag attr='x'>&amp;</tag>", "md | pipe ``` fence ````",
                             "\x01\x02 control \x7f"};
    char *s = NULL;
    size_t n = 0;

    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
        b->tail[i] = strdup(hostile[i]);
    snprintf(b->reason, sizeof b->reason, "a \"reason\" with <xml> and \xff");
    run->duration_ms = 1234;

    /* JSON: json-c reads it back, the strings intact where they were valid */
    char *text = json_of(run);
    json_object *root = json_tokener_parse(text), *boots, *tail;
    CHECK(root != NULL);
    if (root) {
        CHECK(json_object_object_get_ex(root, "boots", &boots));
        tail = json_object_object_get(json_object_array_get_idx(boots, 1), "tail");
        CHECK_INT(json_object_array_length(tail), 5);
        CHECK_STR(json_object_get_string(json_object_array_get_idx(tail, 0)), hostile[0]);
        CHECK_STR(json_object_get_string(json_object_array_get_idx(tail, 1)),
                  "bad utf8 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
        json_object_put(root);
    }
    free(text);

    /* XML: nothing unescaped, no control character, valid UTF-8 */
    FILE *f = open_memstream(&s, &n);
    report_junit(f, run);
    fclose(f);
    CHECK(strstr(s, "&lt;tag attr=&apos;x&apos;&gt;&amp;amp;&lt;/tag&gt;"));
    CHECK(strstr(s, "<failure type=\"timeout\""));
    CHECK(strstr(s, "tests=\"2\" failures=\"1\""));
    CHECK(!strchr(s, '\x01') && !strchr(s, '\x7f'));
    CHECK(utf8_valid(s));
    free(s);

    /* Markdown: the fence is longer than any backtick run in the tail */
    f = open_memstream(&s, &n);
    report_markdown(f, run);
    fclose(f);
    CHECK(strstr(s, "# sharedroot-boottest: FAIL"));
    CHECK(strstr(s, "\n`````\n"));
    CHECK(strstr(s, "### cfg #2: timeout"));
    CHECK(utf8_valid(s));
    CHECK(!strchr(s, '\x01'));
    free(s);
    free_run(run);
}

TEST(markdown_and_xml_escapers)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);

    md_cell(f, "a|b`c\\d\xff");
    fclose(f);
    CHECK_STR(s, "a\\|b\\`c\\\\d\xef\xbf\xbd");
    free(s);
    f = open_memstream(&s, &n);
    xml_text(f, "\"&<>'\x02\xc3\xa9");
    fclose(f);
    CHECK_STR(s, "&quot;&amp;&lt;&gt;&apos;\xef\xbf\xbd\xc3\xa9");
    free(s);
    CHECK_INT(md_longest_backticks("a ``` b ` c"), 3);
    CHECK_INT(md_longest_backticks(""), 0);
}

int main(void)
{
    return test_main();
}
