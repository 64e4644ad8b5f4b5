/* test_faults.c - out of memory at every large allocation of a scripted session (sqlite's way).
 *
 * For each command of a session that exercises every command and every kind of large block
 * (datasets from grids, samples, CSV and NumPy files, passes, maps, tables, optimal ablation's
 * searches), the test counts the large allocations the command makes, then for each of them (see
 * next_fault)
 * replays the session up to that command, makes exactly that allocation fail, and checks that the
 * command fails with a message saying so, that the session (its script and its last evaluation)
 * is exactly as it was, and that the same command then succeeds. Fixture paths are relative to the
 * environment variable `srcdir` (default "."). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "commands.h"
#include "formats/formats.h"

static char *session_dir, *session_file, *export_file;

static char *fixture(const char *rel)
{
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    return iv_xasprintf("%s/%s", srcdir, rel);
}

/* The session, one command a line; %S is the saved session file, %E an export file. */
static const char *const session[] = {
    "data grid x=0:10:1 y=0:10:1",
    "input 3 5",
    "source 5 3",
    "ablate h1[1] zero",
    "ablate h1[0] mean",
    "ablate h1[2] noise samples=4 seed=2",
    "ablate h1[3] resample samples=3 seed=5",
    "patch h1[0:2]",
    "set h2[0] 0.5",
    "ablate h2[1] optimal",
    "ablate h1[0:2] optimal",
    "toggle 1",
    "drop 2",
    "show",
    "effect",
    "compare h1[1]",
    "sweep input[x] 0 10 5",
    "regions h1",
    "activations h2",
    "stats h1",
    "swap",
    "save %S",
    "export effect %E",
    "metric target",
    "effect",
    "metric clean",
    "data sample 40 x=0:10 y=0:10 seed=3",
    "data load @tests/golden/points.csv",
    "data load @tests/fixtures/npz_xy.npz",
    "clear",
    "load %S",
    "model builtin:max",
    "ablate h1[0:3] optimal",
};
#define N_COMMANDS ((int)(sizeof session / sizeof session[0]))

/* Command i with its paths filled in. */
static char *command_text(int i)
{
    const char *c = session[i];
    if (strstr(c, "%S"))
        return iv_xasprintf("%.*s%s", (int)(strstr(c, "%S") - c), c, session_file);
    if (strstr(c, "%E"))
        return iv_xasprintf("%.*s%s", (int)(strstr(c, "%E") - c), c, export_file);
    if (strchr(c, '@')) {
        char *path = fixture(strchr(c, '@') + 1);
        char *text = iv_xasprintf("%.*s%s", (int)(strchr(c, '@') - c), c, path);
        free(path);
        return text;
    }
    return iv_xstrdup(c);
}

static void discard(iv_result_type type, json_object *obj, void *user)
{
    (void)type;
    (void)user;
    json_object_put(obj);
}

static int run(iv_workspace *ws, int i, iv_error *err)
{
    char *text = command_text(i);
    char **argv;
    int argc = iv_words_split(text, &argv, err);
    assert_true(argc > 0);
    iv_sink sink = {discard, NULL};
    int rc = iv_command_run(ws, argc, argv, &sink, err);
    iv_words_free(argv);
    free(text);
    return rc;
}

/* A workspace with the first `upto` commands of the session run, none of them failing. */
static iv_workspace *replay(int upto)
{
    iv_error err;
    iv_workspace *ws = iv_workspace_new(iv_model_builtin_max(), &err);
    assert_non_null(ws);
    for (int i = 0; i < upto; i++)
        if (run(ws, i, &err) < 0)
            fail_msg("'%s' failed while replaying: %s", session[i], err.msg);
    return ws;
}

/* What a failed command must leave as it was. */
static char *fingerprint(const iv_workspace *ws)
{
    iv_buf b = {0};
    char *script = iv_session_script(ws);
    iv_buf_printf(&b, "%s", script);
    free(script);
    const iv_acts *sets[] = {ws->clean, ws->intervened, ws->source_acts};
    for (int k = 0; k < 3; k++)
        for (int s = 0; sets[k] && s < sets[k]->n_sites; s++)
            for (long i = 0; i < sets[k]->n * sets[k]->width[s]; i++)
                iv_buf_printf(&b, "%.9g ", sets[k]->site[s][i]);
    iv_buf_printf(&b, "\nunsaved=%d data=%ld", ws->unsaved, ws->data ? ws->data->n : -1L);
    return b.data;
}

/* The allocations walked: all of them, but for the searches of optimal ablation, which make
 * hundreds of the same few in a loop: there the first and last 32 and 16 spread between, so the
 * walk meets every place that allocates and stays quick (replaying to each is quadratic). */
static long next_fault(long n, long count)
{
    if (count <= 80 || n < 32 || n >= count - 32)
        return n + 1;
    long step = (count - 64) / 16 + 1;
    return n + step < count - 32 ? n + step : count - 32;
}

static void test_every_large_allocation_fails_cleanly(void **state)
{
    (void)state;
    long walked = 0;
    for (int i = 0; i < N_COMMANDS; i++) {
        iv_workspace *ws = replay(i);
        iv_error err;
        long before = iv_big_alloc_count();
        if (run(ws, i, &err) < 0)
            fail_msg("'%s' fails without a fault: %s", session[i], err.msg);
        long count = iv_big_alloc_count() - before;
        iv_workspace_free(ws);
        for (long n = 1; n <= count; n = next_fault(n, count), walked++) {
            ws = replay(i);
            char *was = fingerprint(ws);
            iv_fault_inject(n);
            int rc = run(ws, i, &err);
            iv_fault_inject(0);
            if (rc == 0)
                fail_msg("'%s' succeeded though large allocation %ld of %ld failed", session[i], n,
                         count);
            if (!strstr(err.msg, "out of memory"))
                fail_msg("'%s', allocation %ld: message '%s' does not say what ran out", session[i],
                         n, err.msg);
            char *now = fingerprint(ws);
            if (strcmp(was, now) != 0)
                fail_msg("'%s', allocation %ld of %ld failed: the session changed", session[i], n,
                         count);
            /* The session is still usable: the same command now succeeds. */
            if (run(ws, i, &err) < 0)
                fail_msg("'%s' fails after a failed try: %s", session[i], err.msg);
            free(was);
            free(now);
            iv_workspace_free(ws);
        }
    }
    print_message("# %ld large allocations failed, one at a time, over %d commands\n", walked,
                  N_COMMANDS);
    assert_true(walked > 100); /* the walk reached the allocations it means to */
}

/* The limit refuses at once, naming the size and how to raise it; the session stays usable. */
static void test_limit_refuses_with_sizes(void **state)
{
    (void)state;
    iv_error err;
    iv_workspace *ws = replay(0);
    char *was = fingerprint(ws);
    size_t old = iv_memory_limit();
    iv_memory_limit_set((size_t)8 << 20);
    char *argv[] = {"data", "grid", "x=0:999:1", "y=0:999:1", NULL};
    assert_int_equal(iv_command_run(ws, 4, argv, &iv_sink_discard, &err), -1);
    iv_memory_limit_set(old);
    if (!strstr(err.msg, "a pass over 1000000 rows of 16 activations would need 61 MiB, more than "
                "the memory limit of 8.0 MiB") ||
        !strstr(err.msg, "'limit memory 128M'"))
        fail_msg("message: %s", err.msg);
    char *now = fingerprint(ws);
    assert_string_equal(was, now);
    assert_int_equal(iv_command_run(ws, 4, argv, &iv_sink_discard, &err), 0);
    assert_int_equal(ws->data->n, 1000000);
    free(was);
    free(now);
    iv_workspace_free(ws);
}

static void test_sizes_parse_and_print(void **state)
{
    (void)state;
    size_t b;
    assert_int_equal(iv_parse_size("512M", &b), 0);
    assert_int_equal(b, (size_t)512 << 20);
    assert_int_equal(iv_parse_size("1.5G", &b), 0);
    assert_int_equal(b, (size_t)3 << 29);
    assert_int_equal(iv_parse_size("2GiB", &b), 0);
    assert_int_equal(b, (size_t)2 << 30);
    assert_int_equal(iv_parse_size("100", &b), 0);
    assert_int_equal(b, 100);
    assert_int_equal(iv_parse_size("12Q", &b), -1);
    assert_int_equal(iv_parse_size("-1G", &b), -1);
    assert_int_equal(iv_parse_size("G", &b), -1);
    assert_int_equal(iv_parse_size("1e300", &b), -1);
    char text[32];
    iv_format_size(text, sizeof text, 1.5 * (1 << 30));
    assert_string_equal(text, "1.5 GiB");
    iv_format_size(text, sizeof text, 800);
    assert_string_equal(text, "800 bytes");
    /* A count whose product overflows is refused, not wrapped around. */
    iv_error err;
    assert_null(iv_big_alloc(SIZE_MAX / 2, 4, "a block", &err));
    assert_non_null(strstr(err.msg, "more memory than any machine has"));
}

static int setup(void **state)
{
    (void)state;
    char dir[] = "/tmp/iv-faults-XXXXXX";
    assert_non_null(mkdtemp(dir));
    session_dir = iv_xstrdup(dir);
    session_file = iv_xasprintf("%s/s.iv", dir);
    export_file = iv_xasprintf("%s/map.csv", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(session_file);
    unlink(export_file);
    rmdir(session_dir);
    free(session_dir);
    free(session_file);
    free(export_file);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_large_allocation_fails_cleanly),
        cmocka_unit_test(test_limit_refuses_with_sizes),
        cmocka_unit_test(test_sizes_parse_and_print),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
