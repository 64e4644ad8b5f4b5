/* test_commands.c - the command language: word splitting, scripts and their error lines, results
 * as data, sessions saved and replayed, and the help generated from the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

static iv_workspace *max_ws(void)
{
    iv_error err;
    iv_workspace *ws = iv_workspace_new(iv_model_builtin_max(), &err);
    assert_non_null(ws);
    return ws;
}

/* A sink that keeps every result as one JSON line. */
static void collect(json_object *obj, void *user)
{
    iv_buf *b = user;
    iv_buf_printf(b, "%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
    json_object_put(obj);
}

static char *run_collect(iv_workspace *ws, const char *script, int *failures, iv_error *err)
{
    iv_buf b = {0};
    iv_sink sink = {collect, &b};
    *failures = iv_script_run(ws, script, "s", &sink, false, NULL, NULL, err);
    if (!b.data)
        iv_buf_append(&b, "", 0);
    return b.data;
}

/* ---- words ------------------------------------------------------------------------------------- */

static void test_words(void **state)
{
    (void)state;
    char **argv;
    iv_error err;
    assert_int_equal(iv_words_split("  ablate h1[\"x > y\", 2]   zero ", &argv, &err), 3);
    assert_string_equal(argv[0], "ablate");
    assert_string_equal(argv[1], "h1[\"x > y\", 2]");
    assert_string_equal(argv[2], "zero");
    assert_null(argv[3]);
    iv_words_free(argv);
    assert_int_equal(iv_words_split("model \"my model.nn\"", &argv, &err), 2);
    assert_string_equal(argv[1], "my model.nn");
    iv_words_free(argv);
    assert_int_equal(iv_words_split("", &argv, &err), 0);
    iv_words_free(argv);
    assert_int_equal(iv_words_split("show \"out", &argv, &err), -1);
    assert_non_null(strstr(err.msg, "unterminated quote"));
    assert_int_equal(iv_words_split("ablate h1[0 zero", &argv, &err), -1);
    assert_non_null(strstr(err.msg, "unterminated bracket"));
}

/* ---- scripts ------------------------------------------------------------------------------------ */

static void test_script_lines_and_comments(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    iv_error err;
    int failures;
    char *out = run_collect(ws,
                            "# a comment line\n"
                            "input 3 5   # trailing comment; not a command\n"
                            "ablate h1[1] zero; show out\n"
                            "\n"
                            "ablate h1[9] zero\n"
                            "show out\n",
                            &failures, &err);
    assert_int_equal(failures, 1);
    assert_string_equal(err.msg, "s:5: 'ablate h1[9] zero': ablate: h1[9]: no neuron 9 in h1 "
                                 "(it has 4: 0 to 3)");
    /* Results up to the failure, and nothing after it. */
    const char *show = "{\"site\":\"out\",\"clean\":[5],\"intervened\":[8],\"change\":[3],"
                       "\"target\":5}\n";
    assert_non_null(strstr(out, show));
    assert_int_equal(strstr(out, show) + strlen(show) - out, (long)strlen(out));
    free(out);
    iv_workspace_free(ws);
}

static void test_keep_going(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    iv_error err;
    int failures = iv_script_run(ws, "bogus; input 3 5; ablate q zero\nablate h1[1] zero", "k",
                                 &iv_sink_discard, true, NULL, NULL, &err);
    assert_int_equal(failures, 2);
    assert_non_null(strstr(err.msg, "k:1: 'bogus': unknown command 'bogus'"));
    assert_int_equal(ws->count, 1);
    iv_workspace_free(ws);
}

static void test_argument_counts(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    iv_error err;
    int failures;
    free(run_collect(ws, "patch", &failures, &err));
    assert_int_equal(failures, 1);
    assert_non_null(strstr(err.msg, "patch: expected patch ADDR"));
    free(run_collect(ws, "list extra", &failures, &err));
    assert_non_null(strstr(err.msg, "list: expected list"));
    iv_workspace_free(ws);
}

/* ---- sessions ---------------------------------------------------------------------------------- */

static void test_session_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/iv-session-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = iv_xasprintf("%s/s.iv", dir);
    char *save = iv_xasprintf("seed 4; data sample 50 x=0:10 y=0:10; input 3 5; source 5 3;"
                              "ablate h1[1] zero; ablate h1[0] noise k=2 samples=7;"
                              "patch h1[2:4]; set h2[0] 0.1; ablate h1[1] resample samples=5 seed=9;"
                              "toggle 3; save %s", path);
    iv_workspace *a = max_ws(), *b = max_ws();
    iv_error err;
    int failures;
    free(run_collect(a, save, &failures, &err));
    assert_int_equal(failures, 0);
    char *load = iv_xasprintf("load %s", path);
    free(run_collect(b, load, &failures, &err));
    if (failures)
        fail_msg("load: %s", err.msg);
    /* The same script rebuilds the same state: same list, same numbers, draw for draw. The pass
     * has as many rows as the largest sample count (noise 7, resample 5). */
    char *sa = iv_session_script(a), *sb = iv_session_script(b);
    assert_string_equal(sa, sb);
    assert_int_equal(a->intervened->n, 7);
    assert_int_equal(b->intervened->n, 7);
    for (int s = 0; s < a->intervened->n_sites; s++)
        assert_memory_equal(a->intervened->site[s], b->intervened->site[s],
                            sizeof(float) * 7 * (size_t)a->intervened->width[s]);
    assert_false(b->list[2].enabled);
    free(sa);
    free(sb);
    unlink(path);
    rmdir(dir);
    free(path);
    free(save);
    free(load);
    iv_workspace_free(a);
    iv_workspace_free(b);
}

static void test_failed_load_keeps_session(void **state)
{
    (void)state;
    char dir[] = "/tmp/iv-session-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = iv_xasprintf("%s/bad.iv", dir);
    FILE *f = fopen(path, "w");
    fputs("input 1 2\nclear\nablate h1[12] zero\n", f);
    fclose(f);
    iv_workspace *ws = max_ws();
    iv_error err;
    int failures;
    char *cmd = iv_xasprintf("input 3 5; ablate h1[1] zero; load %s", path);
    free(run_collect(ws, cmd, &failures, &err));
    assert_int_equal(failures, 1);
    char *want = iv_xasprintf("load: %s:3: 'ablate h1[12] zero'", path);
    if (!strstr(err.msg, want))
        fail_msg("message '%s' lacks '%s'", err.msg, want);
    assert_int_equal(ws->count, 1);
    assert_float_equal(ws->base[0], 3, 0);
    assert_float_equal(ws->intervened->site[iv_model_output_site(ws->model)][0], 8, 0);
    unlink(path);
    rmdir(dir);
    free(path);
    free(cmd);
    free(want);
    iv_workspace_free(ws);
}

/* ---- the table --------------------------------------------------------------------------------- */

static void test_help_covers_table(void **state)
{
    (void)state;
    int count;
    const iv_command *table = iv_commands(&count);
    iv_workspace *ws = max_ws();
    iv_error err;
    int failures;
    char *all = run_collect(ws, "help", &failures, &err);
    for (int i = 0; i < count; i++) {
        assert_true(strlen(table[i].summary) > 10);
        char *needle = iv_xasprintf("\"command\":\"%s\"", table[i].name);
        assert_non_null(strstr(all, needle));
        char *one = iv_xasprintf("help %s", table[i].name);
        free(run_collect(ws, one, &failures, &err));
        assert_int_equal(failures, 0);
        free(one);
        free(needle);
        assert_ptr_equal(iv_command_find(table[i].name), &table[i]);
    }
    free(all);
    iv_workspace_free(ws);
}

/* The shipped max.nn and the built-in network are one text. */
static void test_sample_file_is_builtin(void **state)
{
    (void)state;
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char *path = iv_xasprintf("%s/sample_models/max.nn", srcdir);
    iv_error err;
    char *text = iv_read_file(path, 1 << 20, NULL, &err);
    if (!text)
        fail_msg("%s", err.msg);
    assert_string_equal(text, iv_model_builtin_max_text());
    free(text);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_script_lines_and_comments),
        cmocka_unit_test(test_keep_going),
        cmocka_unit_test(test_argument_counts),
        cmocka_unit_test(test_session_round_trip),
        cmocka_unit_test(test_failed_load_keeps_session),
        cmocka_unit_test(test_help_covers_table),
        cmocka_unit_test(test_sample_file_is_builtin),
    };
    return cmocka_run_group_tests_name("commands", tests, NULL, NULL);
}
