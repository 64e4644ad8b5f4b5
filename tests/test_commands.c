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

#include "files.h"
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
    fputs("input 1 2\nclear\nablate h1[12] zero\n# end of session: 3 commands\n", f);
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

/* ---- sessions that cannot be lost ------------------------------------------------------------- */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* What a failed command must leave as it was: the session's script and the last evaluation. */
static char *fingerprint(const iv_workspace *ws)
{
    iv_buf b = {0};
    char *script = iv_session_script(ws);
    iv_buf_printf(&b, "%s", script);
    free(script);
    const iv_acts *sets[] = {ws->clean, ws->intervened};
    for (int k = 0; k < 2; k++)
        for (int s = 0; s < sets[k]->n_sites; s++)
            for (long i = 0; i < sets[k]->n * sets[k]->width[s]; i++)
                iv_buf_printf(&b, "%.9g ", sets[k]->site[s][i]);
    iv_buf_printf(&b, "\nunsaved=%d", ws->unsaved);
    return b.data;
}

/* Runs one command that must fail with `want` in its message, leaving the session as it was. */
static void assert_refused_keeps(iv_workspace *ws, const char *cmd, const char *want)
{
    char *before = fingerprint(ws);
    iv_error err;
    int failures;
    free(run_collect(ws, cmd, &failures, &err));
    assert_int_equal(failures, 1);
    if (!strstr(err.msg, want))
        fail_msg("'%s': message '%s' lacks '%s'", cmd, err.msg, want);
    char *after = fingerprint(ws);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void test_load_refuses_incomplete_sessions(void **state)
{
    (void)state;
    char dir[] = "/tmp/iv-session-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = iv_xasprintf("%s/s.iv", dir), *cut = iv_xasprintf("%s/cut.iv", dir);
    iv_workspace *ws = max_ws();
    iv_error err;
    int failures;
    char *cmd = iv_xasprintf("input 3 5; source 5 3; ablate h1[1] zero; patch h1[0]; save %s", path);
    free(run_collect(ws, cmd, &failures, &err));
    assert_int_equal(failures, 0);
    free(cmd);
    char *saved = iv_read_file(path, 1 << 20, NULL, &err);
    assert_non_null(saved);
    /* The last line says the file is whole: "# end of session: 7 commands". */
    assert_non_null(strstr(saved, "\n" IV_SESSION_END " 7 commands\n"));
    assert_int_equal(iv_session_check(saved, "s.iv", &err), 0);
    free(run_collect(ws, "clear; input 1 1", &failures, &err));

    /* Cut at every line boundary: each refused, the current session kept. */
    int lines = 0;
    for (const char *p = saved; *p; p++)
        lines += *p == '\n';
    for (int keep = 0; keep < lines; keep++) {
        const char *end = saved;
        for (int l = 0; l < keep; l++)
            end = strchr(end, '\n') + 1;
        char *part = iv_xasprintf("%.*s", (int)(end - saved), saved);
        write_text(cut, part);
        char *load = iv_xasprintf("load %s", cut);
        assert_refused_keeps(ws, load, keep <= 1 ? "holds no session" : "may have been cut short");
        free(load);
        free(part);
    }
    /* A count that does not match, and a file of comments only. */
    char *wrong = iv_xasprintf("input 1 2\n" IV_SESSION_END " 2 commands\n");
    write_text(cut, wrong);
    char *load = iv_xasprintf("load %s", cut);
    assert_refused_keeps(ws, load, "says it holds 2 commands but holds 1");
    write_text(cut, "# only a comment\n\n");
    assert_refused_keeps(ws, load, "holds no session");
    write_text(cut, "");
    assert_refused_keeps(ws, load, "holds no session");
    /* The whole file still loads. */
    char *good = iv_xasprintf("load %s", path);
    free(run_collect(ws, good, &failures, &err));
    assert_int_equal(failures, 0);
    assert_float_equal(ws->base[0], 3, 0);
    assert_int_equal(ws->count, 2);
    unlink(path);
    unlink(cut);
    rmdir(dir);
    free(saved);
    free(wrong);
    free(load);
    free(good);
    free(path);
    free(cut);
    iv_workspace_free(ws);
}

static void test_load_refuses_itself(void **state)
{
    (void)state;
    char dir[] = "/tmp/iv-session-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *a = iv_xasprintf("%s/a.iv", dir), *b = iv_xasprintf("%s/b.iv", dir);
    char *text = iv_xasprintf("input 1 2\nload %s\n" IV_SESSION_END " 2 commands\n", a);
    write_text(a, text);
    free(text);
    iv_workspace *ws = max_ws();
    iv_error err;
    int failures;
    free(run_collect(ws, "input 3 5; ablate h1[1] zero", &failures, &err));
    char *load = iv_xasprintf("load %s", a);
    assert_refused_keeps(ws, load, "is already being run");
    /* Through another file: the message names the chain. */
    text = iv_xasprintf("load %s\n" IV_SESSION_END " 1 commands\n", b);
    write_text(a, text);
    free(text);
    text = iv_xasprintf("load %s\n" IV_SESSION_END " 1 commands\n", a);
    write_text(b, text);
    free(text);
    char *chain = iv_xasprintf("(%s -> %s -> %s)", a, b, a);
    assert_refused_keeps(ws, load, chain);
    free(chain);
    /* A chain of distinct files deeper than the limit is refused too. */
    char *files[IV_MAX_SCRIPT_DEPTH + 2];
    for (int i = 0; i <= IV_MAX_SCRIPT_DEPTH + 1; i++)
        files[i] = iv_xasprintf("%s/d%d.iv", dir, i);
    for (int i = 0; i <= IV_MAX_SCRIPT_DEPTH + 1; i++) {
        text = i <= IV_MAX_SCRIPT_DEPTH
                   ? iv_xasprintf("load %s\n" IV_SESSION_END " 1 commands\n", files[i + 1])
                   : iv_xasprintf("input 0 0\n" IV_SESSION_END " 1 commands\n");
        write_text(files[i], text);
        free(text);
    }
    free(load);
    load = iv_xasprintf("load %s", files[0]);
    assert_refused_keeps(ws, load, "more than 16 deep");
    for (int i = 0; i <= IV_MAX_SCRIPT_DEPTH + 1; i++) {
        unlink(files[i]);
        free(files[i]);
    }
    unlink(a);
    unlink(b);
    rmdir(dir);
    free(load);
    free(a);
    free(b);
    iv_workspace_free(ws);
}

/* save replaces the old file only once the new one is whole, and leaves no temporary file. */
static void test_save_is_atomic(void **state)
{
    (void)state;
    char dir[] = "/tmp/iv-session-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = iv_xasprintf("%s/s.iv", dir);
    iv_workspace *ws = max_ws();
    iv_error err;
    int failures;
    char *cmd = iv_xasprintf("input 3 5; save %s; input 4 4; save %s", path, path);
    free(run_collect(ws, cmd, &failures, &err));
    assert_int_equal(failures, 0);
    char *text = iv_read_file(path, 1 << 20, NULL, &err);
    assert_non_null(strstr(text, "input 4 4"));
    free(text);
    char *ls = iv_xasprintf("ls -A %s | wc -l", dir);
    FILE *p = popen(ls, "r");
    int files = 0;
    assert_int_equal(fscanf(p, "%d", &files), 1);
    pclose(p);
    assert_int_equal(files, 1);
    /* A save that cannot be written (its folder is gone) fails and keeps the unsaved flag. */
    free(cmd);
    free(run_collect(ws, "ablate h1[0] zero", &failures, &err));
    cmd = iv_xasprintf("save %s/no/such/folder/s.iv", dir);
    free(run_collect(ws, cmd, &failures, &err));
    assert_int_equal(failures, 1);
    assert_non_null(strstr(err.msg, "cannot open for writing"));
    assert_true(ws->unsaved);
    unlink(path);
    rmdir(dir);
    free(ls);
    free(cmd);
    free(path);
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
        cmocka_unit_test(test_load_refuses_incomplete_sessions),
        cmocka_unit_test(test_load_refuses_itself),
        cmocka_unit_test(test_save_is_atomic),
        cmocka_unit_test(test_help_covers_table),
        cmocka_unit_test(test_sample_file_is_builtin),
    };
    return cmocka_run_group_tests_name("commands", tests, NULL, NULL);
}
