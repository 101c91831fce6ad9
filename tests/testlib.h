/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal test harness. Each test case prints "PASS: name" or "FAIL: name" (and
 * "SKIP: name: why"); tests/run-all counts those lines. A binary that crashes or exits
 * non-zero without printing FAIL still counts as a failure there.
 *
 *   TEST(parses_root_uuid) { ... CHECK(x == 1); CHECK_STR(a, "b"); }
 *   int main(void) { return test_main(); }
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
    const char *name;
    void (*fn)(void);
    struct test_case *next;
};

extern struct test_case *test_list;
extern int test_failed_now;
extern const char *test_skip_reason;

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    static struct test_case tc_##name = {#name, test_##name, NULL};                                \
    __attribute__((constructor)) static void register_##name(void)                                 \
    {                                                                                              \
        struct test_case **p = &test_list;                                                         \
        while (*p)                                                                                 \
            p = &(*p)->next;                                                                       \
        *p = &tc_##name;                                                                           \
    }                                                                                              \
    static void test_##name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);             \
            test_failed_now = 1;                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long _a = (long long)(a), _b = (long long)(b);                                        \
        if (_a != _b) {                                                                            \
            fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, _a,    \
                    _b);                                                                           \
            test_failed_now = 1;                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *_a = (a), *_b = (b);                                                           \
        if (!_a || !_b || strcmp(_a, _b) != 0) {                                                   \
            fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,    \
                    _a ? _a : "(null)", _b ? _b : "(null)");                                       \
            test_failed_now = 1;                                                                   \
        }                                                                                          \
    } while (0)

#define SKIP(why)                                                                                  \
    do {                                                                                           \
        test_skip_reason = (why);                                                                  \
        return;                                                                                    \
    } while (0)

int test_main(void);

#ifdef TESTLIB_IMPLEMENTATION
struct test_case *test_list;
int test_failed_now;
const char *test_skip_reason;

int test_main(void)
{
    int failed = 0;
    for (struct test_case *t = test_list; t; t = t->next) {
        test_failed_now = 0;
        test_skip_reason = NULL;
        t->fn();
        if (test_failed_now) {
            printf("FAIL: %s\n", t->name);
            failed++;
        } else if (test_skip_reason) {
            printf("SKIP: %s: %s\n", t->name, test_skip_reason);
        } else {
            printf("PASS: %s\n", t->name);
        }
        fflush(stdout);
    }
    return failed ? 1 : 0;
}
#endif
