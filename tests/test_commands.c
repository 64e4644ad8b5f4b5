/* test_commands.c - the command language: word splitting, scripts and their error lines, results
 * as data, sessions saved and replayed, and the help generated from the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "files.h"
#include "commands.h"
#include "gridmap.h"
#include "formats/formats.h"
#include "formats/text.h"
#include "metrics.h"

static iv_workspace *max_ws(void)
{
    iv_error err;
    iv_workspace *ws = iv_workspace_new(iv_model_builtin_max(), &err);
    assert_non_null(ws);
    return ws;
}

/* A sink that keeps every result as one JSON line. */
static void collect(iv_result_type type, json_object *obj, void *user)
{
    (void)type;
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

/* ---- result types ------------------------------------------------------------------------------- */

/* A sink that records the type of every result, and keeps the last one. */
typedef struct typed {
    int n;
    iv_result_type type[64];
    json_object *last;
} typed;

static void record_type(iv_result_type type, json_object *obj, void *user)
{
    typed *t = user;
    if (t->n < 64)
        t->type[t->n] = type;
    t->n++;
    json_object_put(t->last);
    t->last = obj;
}

/* Runs one command line (one command) on ws, which must succeed; returns what it emitted. */
static typed run_typed(iv_workspace *ws, const char *line)
{
    typed t = {0};
    iv_sink sink = {record_type, &t};
    iv_error err;
    if (iv_script_run(ws, line, "t", &sink, false, NULL, NULL, &err))
        fail_msg("'%s': %s", line, err.msg);
    return t;
}

/* Whether a command of the table starts one of the n lines. */
static bool covered(const char *name, const char *const *lines, int n)
{
    for (int i = 0; i < n; i++) {
        size_t len = strlen(name);
        if (strncmp(lines[i], name, len) == 0 && (lines[i][len] == ' ' || !lines[i][len]))
            return true;
    }
    return false;
}

/* Every command says what its results are; the JSON itself carries no type. */
static void test_result_types(void **state)
{
    (void)state;
    char dir[] = "/tmp/iv-types-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *save = iv_xasprintf("save %s/s.iv", dir), *load = iv_xasprintf("load %s/s.iv", dir);
    char *export = iv_xasprintf("export effect %s/e.json", dir);
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char *labelled = iv_xasprintf("data load %s/tests/golden/points.csv", srcdir);
    char *tiny_max = iv_xasprintf("model %s/sample_models/tiny-max", srcdir);
    enum { NONE = -1, TWO = -2 };
    const struct {
        const char *line;
        int type; /* of its one result, or NONE when it reports nothing */
    } cases[] = {
        {"data grid x=0:4 y=0:2", IV_RESULT_DONE},
        {"input 3 5", NONE},
        {"source 5 3", NONE},
        {"swap", NONE},
        {"seed 7", NONE},
        {"info", IV_RESULT_MODEL},
        {"input", IV_RESULT_INPUT},
        {"source", IV_RESULT_INPUT},
        {"data", IV_RESULT_DATASET},
        {"seed", IV_RESULT_SETTING},
        {"metric", IV_RESULT_SETTING},
        {"limit", IV_RESULT_SETTING},
        {"ablate h1[1] zero", IV_RESULT_ADDED},
        {"set h1[0] 2", IV_RESULT_ADDED},
        {"patch h1[2]", IV_RESULT_ADDED},
        {"list", IV_RESULT_LIST},
        {"show h1", IV_RESULT_SITE},
        {"show out", IV_RESULT_OUTPUT},
        {"effect", IV_RESULT_EFFECT},
        {"stats h1", IV_RESULT_STATS},
        {"compare h1[0]", IV_RESULT_COMPARISON},
        {"sweep input[x] 0 10 3", IV_RESULT_SWEEP},
        {"regions h1", IV_RESULT_REGIONS},
        {"causal \"gt = x > y; out = gt ? x : y\"", IV_RESULT_CAUSAL},
        {"align gt h1[0:2]", IV_RESULT_CAUSAL},
        {"iia", IV_RESULT_IIA},
        {"unalign gt", IV_RESULT_CAUSAL},
        {"scan h1 zero", IV_RESULT_SCAN},
        {"attribute h1", IV_RESULT_SCAN},
        {"activations h1", IV_RESULT_ACTIVATIONS},
        {"data grid x=0:10 y=0:10", IV_RESULT_DONE}, /* enough rows to hold some out */
        {"label gt = x > y", IV_RESULT_LABELS},
        {"labels", IV_RESULT_LABELS},
        {"split 0.2 seed=1", IV_RESULT_SETTING},
        {"probe h1 gt", IV_RESULT_PROBE},
        {"pca h1 gt", IV_RESULT_PCA},
        {"compare-erasure h1 gt", IV_RESULT_ERASURE},
        {"inlp h1 gt", TWO}, /* the intervention added, then the fit: checked below */
        {"leace h1 gt", TWO},
        {"steer h2 gt", TWO},
        {"help", IV_RESULT_HELP},
        {"help show", IV_RESULT_HELP},
        {"say a caption", IV_RESULT_TEXT},
        {"toggle 1", NONE},
        {"drop 1", NONE},
        {export, IV_RESULT_DONE}, /* the results go to the file; what was written is said */
        {save, IV_RESULT_DONE},
        {"clear", NONE},
        {"das gt h1 dims=1 pairs=100 epochs=1", IV_RESULT_DAS},
        {load, NONE},
        {labelled, IV_RESULT_DONE},
        {"train bigger loss=mse epochs=1", IV_RESULT_TRAINING},
        {tiny_max, NONE},
        {"prompt 3 5 =", IV_RESULT_PROMPT},
        {"prompt", IV_RESULT_PROMPT},
        {"positions", IV_RESULT_SETTING},
        {"source 5 3 =", IV_RESULT_PROMPT},
        {"patch-scan resid", IV_RESULT_PATCH_SCAN},
        {"attention 1 0", IV_RESULT_PATCH_SCAN},
        {"logit-lens", IV_RESULT_PATCH_SCAN},
        {"source none", NONE},
        {"positions 2", NONE},
        {"model builtin:max", NONE},
    };
    int n = (int)(sizeof cases / sizeof cases[0]);
    const char *lines[sizeof cases / sizeof cases[0]];
    iv_workspace *ws = max_ws();
    for (int i = 0; i < n; i++) {
        lines[i] = cases[i].line;
        typed t = run_typed(ws, cases[i].line);
        int want = cases[i].type == TWO ? 2 : cases[i].type == NONE ? 0 : 1;
        if (t.n != want)
            fail_msg("'%s': %d results", cases[i].line, t.n);
        if (cases[i].type == TWO && (t.type[0] != IV_RESULT_ADDED ||
                                     (t.type[1] != IV_RESULT_ERASURE && t.type[1] != IV_RESULT_STEER)))
            fail_msg("'%s': types %d, %d", cases[i].line, t.type[0], t.type[1]);
        if (t.n && cases[i].type != TWO && (int)t.type[0] != cases[i].type)
            fail_msg("'%s': type %d, expected %d", cases[i].line, t.type[0], cases[i].type);
        json_object_put(t.last);
    }
    /* show without a site: every site, the output as an output. */
    typed all = run_typed(ws, "show");
    assert_int_equal(all.n, iv_model_site_count(ws->model));
    for (int s = 0; s < all.n; s++)
        assert_int_equal(all.type[s], s == iv_model_output_site(ws->model) ? IV_RESULT_OUTPUT
                                                                           : IV_RESULT_SITE);
    json_object_put(all.last);
    /* Each command of the table is among the cases. */
    int count;
    const iv_command *table = iv_commands(&count);
    for (int i = 0; i < count; i++)
        if (!covered(table[i].name, lines, n))
            fail_msg("no case runs '%s'", table[i].name);
    iv_workspace_free(ws);
    char *path = iv_xasprintf("%s/s.iv", dir);
    unlink(path);
    free(path);
    path = iv_xasprintf("%s/e.json", dir);
    unlink(path);
    free(path);
    rmdir(dir);
    free(save);
    free(load);
    free(export);
    free(labelled);
    free(tiny_max);
}

/* ---- error prefixes ----------------------------------------------------------------------------- */

/* A handler's error carries its command's name once, put there by the runner; errors that name
 * their origin otherwise (a model file, "export model", an inner command) keep that. */
static void test_errors_prefixed_once(void **state)
{
    (void)state;
    const struct {
        const char *line;
        const char *prefix; /* the message begins with it, and goes on without it */
        const char *whole;  /* or NULL: the whole message */
    } cases[] = {
        {"info x", "info: ", "info: expected info"},
        {"input 1", "input: ", "input: expected 2 values (x y), got 1"},
        {"source", "source: ", "source: none is set (e.g. 'source 5 3')"},
        {"source q=1", "source: ", NULL},
        {"swap", "swap: ", "swap: there is no source input (e.g. 'source 5 3')"},
        {"data grid q=0:1", "data: ", NULL},
        {"data load /nonexistent/d.csv", "data: ", NULL},
        {"seed abc", "seed: ", "seed: 'abc' is not a whole number >= 0"},
        {"metric bogus", "metric: ", "metric: expected clean, target or label COLUMN, got 'bogus'"},
        {"metric label", "metric: ", "metric: expected metric label COLUMN (a label column of the "
                                     "dataset)"},
        {"input row 121", "input: ", "input: row 121 is past the last row, 120"},
        {"export compare h1 out.csv", "export: ",
         "export: put the command in quotes: export \"compare h1\" out.csv"},
        {"export effect a b", "export: ", "export: expected export \"COMMAND\" FILE.csv|FILE.json"},
        {"limit memory 12", "limit: ", "limit: '12' is not a size of at least 1M (e.g. 512M, 4G)"},
        {"ablate h1[9] zero", "ablate: ", NULL},
        {"ablate h1[1] bogus", "ablate: ", NULL},
        {"set h1[0] abc", "set: ", "set: 'abc' is not a finite number"},
        {"set h9 1", "set: ", NULL},
        {"patch h1[0]", "patch: ", NULL},
        {"list x", "list: ", "list: expected list"},
        {"toggle abc", "toggle: ", "toggle: 'abc' is not an intervention id (see 'list')"},
        {"toggle 9", "toggle: ", NULL},
        {"drop 9", "drop: ", NULL},
        {"clear x", "clear: ", "clear: expected clear"},
        {"show q", "show: ", NULL},
        {"show h1[0]", "show: ", "show: 'h1[0]' is a neuron address; give a site name such as 'h1'"},
        {"effect x", "effect: ", "effect: expected effect"},
        {"compare h9", "compare: ", NULL},
        {"sweep h1[0] a b", "sweep: ", "sweep: FROM and TO must be finite numbers"},
        {"causal \"x = y\"", "causal: ", NULL},
        {"align q h1[0]", "align: ", NULL},
        {"unalign q", "unalign: ", NULL},
        {"iia", "iia: ", NULL},
        {"das gt h1 dims=1", "das: ", NULL},
        {"scan q", "scan: ", NULL},
        {"attribute h1 metric=loss", "attribute: ", NULL},
        {"train y", "train: ", NULL},
        {"sweep h1[0] 0 1 1", "sweep: ", "sweep: STEPS must be a whole number from 2 to 10001"},
        {"regions input", "regions: ", "regions: 'input' is not a layer (e.g. regions h1)"},
        {"activations q", "activations: ", "activations: unknown site 'q'"},
        {"label 3 = x", "label: ", "label: '3' is not a label name (a letter or _, then letters, "
                                   "digits or _)"},
        {"labels x", "labels: ", "labels: expected labels"},
        {"split 2", "split: ", NULL},
        {"probe h1 nope", "probe: ", NULL},
        {"steer h1 nope", "steer: ", NULL},
        {"inlp q gt", "inlp: ", "inlp: unknown site 'q'"},
        {"leace q gt", "leace: ", "leace: unknown site 'q'"},
        {"compare-erasure q gt", "compare-erasure: ", "compare-erasure: unknown site 'q'"},
        {"pca q", "pca: ", "pca: unknown site 'q'"},
        {"stats h1[0]", "stats: ", "stats: 'h1[0]' is a neuron address; give a site name such as 'h1'"},
        {"export effect out.txt", "export: ", "export: 'out.txt' must end in .csv or .json"},
        {"export \"seed 3\" x.csv", "export: ", "export: 'seed 3' reports nothing to write"},
        {"export \"export effect e.csv\" x.csv", "export: ",
         "export: name a command whose results to write, e.g. export effect map.csv"},
        {"export \"show q\" x.csv", "export: show: ", NULL},        /* the inner command's own */
        {"export frob x.csv", "export: ", "export: unknown command 'frob' (try 'help')"},
        {"export effect /nonexistent/e.csv", "export: /nonexistent/e.csv: ", NULL},
        {"export model m.txt", "export model: ",
         "export model: 'm.txt' must end in .nn or .safetensors"},
        {"export model /nonexistent/m.nn", "export model: /nonexistent/m.nn: ", NULL},
        {"save /nonexistent/s.iv", "save: /nonexistent/s.iv: ", NULL},
        {"load /nonexistent/s.iv", "load: /nonexistent/s.iv: ", NULL},
        {"help nosuch", "help: ", "help: no command 'nosuch' (try 'help')"},
        {"model /nonexistent/m.nn", "/nonexistent/m.nn: ", NULL}, /* the file, not the command */
        {"prompt 3 5 =", "prompt: ", "prompt: builtin:max is not a transformer (input sets its inputs)"},
        {"positions 3", "positions: ", "positions: builtin:max is not a transformer: it has no positions"},
        {"logit-lens", "logit-lens: ",
         "logit-lens: builtin:max is not a transformer: it has no residual stream"},
        {"attention 0 0", "attention: ",
         "attention: builtin:max is not a transformer: it has no attention"},
        {"patch-scan resid", "patch-scan: ",
         "patch-scan: builtin:max is not a transformer (scan patches a site's neurons)"},
        {"metric logit-diff a b", "metric: ",
         "metric: logit-diff: builtin:max is not a transformer (it compares two next tokens)"},
    };
    int n = (int)(sizeof cases / sizeof cases[0]);
    const char *lines[sizeof cases / sizeof cases[0]];
    iv_workspace *ws = max_ws();
    for (int i = 0; i < n; i++) {
        lines[i] = cases[i].line;
        char **argv;
        iv_error err;
        int argc = iv_words_split(cases[i].line, &argv, &err);
        assert_true(argc > 0);
        int rc = iv_command_run(ws, argc, argv, &iv_sink_discard, &err);
        iv_words_free(argv);
        if (rc != -1)
            fail_msg("'%s' returned %d", cases[i].line, rc);
        size_t p = strlen(cases[i].prefix);
        if (strncmp(err.msg, cases[i].prefix, p) != 0 || strncmp(err.msg + p, cases[i].prefix, p) == 0)
            fail_msg("'%s': '%s' does not begin with '%s' once", cases[i].line, err.msg,
                     cases[i].prefix);
        if (cases[i].whole && strcmp(err.msg, cases[i].whole) != 0)
            fail_msg("'%s': '%s', expected '%s'", cases[i].line, err.msg, cases[i].whole);
    }
    int count;
    const iv_command *table = iv_commands(&count);
    for (int i = 0; i < count; i++)
        if (strcmp(table[i].name, "say") != 0 && !covered(table[i].name, lines, n))
            fail_msg("no case makes '%s' fail", table[i].name);
    /* In a script: where, the command, then its name once. */
    iv_error err;
    assert_int_equal(iv_script_run(ws, "input 3 5\nseed abc", "s", &iv_sink_discard, false, NULL,
                                   NULL, &err), 1);
    assert_string_equal(err.msg, "s:2: 'seed abc': seed: 'abc' is not a whole number >= 0");
    /* A command's re-run of the workspace reports what the run says, without the command. */
    iv_fault_inject(1);
    assert_int_equal(iv_script_run(ws, "input 4 5", "s", &iv_sink_discard, false, NULL, NULL, &err),
                     1);
    iv_fault_inject(0);
    if (strncmp(err.msg, "s:1: 'input 4 5': out of memory: ", 33) != 0)
        fail_msg("%s", err.msg);
    assert_float_equal(ws->base[0], 3, 0);
    iv_workspace_free(ws);
}

/* ---- maps --------------------------------------------------------------------------------------- */

static void test_gridmap_decode(void **state)
{
    (void)state;
    json_object *obj = json_tokener_parse("{\"x_name\": \"a\", \"y_name\": \"b\", \"x\": [0, 1, 2], "
                                          "\"y\": [5, 6], \"m\": [[1, 2, 3], [4, 5]], "
                                          "\"v\": [1, 2], \"n\": 3}");
    assert_non_null(obj);
    iv_gridmap g;
    assert_true(iv_gridmap_decode(obj, json_object_object_get(obj, "m"), &g));
    assert_int_equal(g.rows, 2);
    assert_int_equal(g.cols, 3);
    assert_non_null(g.x);
    assert_non_null(g.y);
    assert_string_equal(g.x_name, "a");
    assert_string_equal(g.y_name, "b");
    assert_int_equal(json_object_get_int(iv_gridmap_cell(&g, 0, 2)), 3);
    assert_null(iv_gridmap_cell(&g, 1, 2)); /* a short row */
    assert_false(iv_gridmap_decode(obj, json_object_object_get(obj, "v"), &g));
    assert_false(iv_gridmap_decode(obj, json_object_object_get(obj, "n"), &g));
    assert_true(iv_gridmap_is_axis(obj, "x"));
    assert_true(iv_gridmap_is_axis(obj, "y"));
    assert_false(iv_gridmap_is_axis(obj, "v"));
    json_object_put(obj);
    /* Axes that do not fit are left out; without a matrix, x and y are no axes. */
    obj = json_tokener_parse("{\"x\": [0, 1], \"y\": [7], \"m\": [[1, 2, 3]]}");
    assert_true(iv_gridmap_decode(obj, json_object_object_get(obj, "m"), &g));
    assert_null(g.x);
    assert_non_null(g.y);
    assert_null(g.x_name);
    json_object_put(obj);
    obj = json_tokener_parse("{\"x\": 3, \"y\": [1, 2]}");
    assert_false(iv_gridmap_is_axis(obj, "x"));
    json_object_put(obj);
    /* effect's map, as report.c writes it, decodes with the grid's axes. */
    iv_workspace *ws = max_ws();
    json_object_put(run_typed(ws, "data grid x=0:4 y=0:2").last);
    json_object_put(run_typed(ws, "ablate h1[1] zero").last);
    typed t = run_typed(ws, "effect");
    json_object *map = json_object_object_get(t.last, "map");
    assert_true(iv_gridmap_decode(map, json_object_object_get(map, "change"), &g));
    assert_int_equal(g.rows, 3);
    assert_int_equal(g.cols, 5);
    assert_string_equal(g.x_name, "x");
    assert_string_equal(g.y_name, "y");
    assert_int_equal(json_object_get_int(json_object_array_get_idx(g.x, 4)), 4);
    assert_int_equal(json_object_get_int(json_object_array_get_idx(g.y, 2)), 2);
    assert_true(iv_gridmap_decode(map, json_object_object_get(map, "output"), &g));
    json_object_put(t.last);
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

/* ---- the dataset a missing one calls for -------------------------------------------------------- */

/* The command after "try: " in a message, up to " (" or its end; static. */
static const char *hint_in(const char *msg)
{
    static char cmd[256];
    const char *at = strstr(msg, "try: data ");
    if (!at)
        fail_msg("no hint in '%s'", msg);
    snprintf(cmd, sizeof cmd, "%s", at + 5);
    char *note = strstr(cmd, " (");
    if (note)
        *note = '\0';
    return cmd;
}

static void test_dataset_hint_runs(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    char *hint = iv_workspace_dataset_hint(ws);
    assert_string_equal(hint, "data sample 1000 x=-1:1 y=-1:1");
    free(hint);
    test_run(ws, "data none");
    const char *needs[] = {"effect", "compare h1[0]", "regions h1", "ablate h1[0] mean",
                           "ablate h1[0] resample", "ablate h1[0] noise", "ablate h1[0] optimal",
                           "stats h1", "activations h1"};
    for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++) {
        const char *msg = test_run_fails(ws, needs[i]);
        const char *cmd = hint_in(msg);
        if (strcmp(cmd, "data sample 1000 x=-1:1 y=-1:1") != 0)
            fail_msg("'%s': %s", needs[i], msg);
        /* The message ends with the command. */
        assert_string_equal(msg + strlen(msg) - strlen(cmd), cmd);
    }
    /* Printed as it is, it runs, and then what failed works. */
    test_run(ws, "data sample 1000 x=-1:1 y=-1:1");
    assert_int_equal(ws->data->n, 1000);
    test_run(ws, "ablate h1[0] mean; effect");
    iv_workspace_free(ws);

    /* Six inputs: the first two named, the others said to be drawn from [0, 1]. */
    iv_workspace *wide = test_ws_from_text("model wide\ninputs a b c d e f\n"
                                 "layer out identity\n  weights\n    1 1 1 1 1 1\n");
    hint = iv_workspace_dataset_hint(wide);
    assert_string_equal(hint, "data sample 1000 a=-1:1 b=-1:1");
    free(hint);
    const char *msg = test_run_fails(wide, "effect");
    assert_non_null(strstr(msg, "try: data sample 1000 a=-1:1 b=-1:1 (the other inputs are drawn "
                                "from [0, 1])"));
    char *cmd = iv_xstrdup(hint_in(msg));
    test_run(wide, cmd);
    test_run(wide, "effect");
    free(cmd);
    iv_workspace_free(wide);
}

/* ---- inputs from dataset rows ----------------------------------------------------------------- */

/* The one result of a line, as JSON text (static), or "" for none. */
static const char *result_of(iv_workspace *ws, const char *line)
{
    static char text[4096];
    iv_error err;
    int failures;
    char *out = run_collect(ws, line, &failures, &err);
    if (failures)
        fail_msg("'%s' failed: %s", line, err.msg);
    snprintf(text, sizeof text, "%s", out);
    free(out);
    return text;
}

static void test_input_row(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws(); /* the 11 x 11 grid: row 17 is x=6, y=1 */
    test_run(ws, "input row 17");
    assert_int_equal(ws->input_row, 17);
    assert_float_equal(ws->base[0], 6, 0);
    assert_float_equal(ws->base[1], 1, 0);
    assert_non_null(strstr(result_of(ws, "input"), "\"row\":17"));
    test_run(ws, "input row next");
    assert_int_equal(ws->input_row, 18);
    test_run(ws, "input row 0; input row prev"); /* wraps to the last row */
    assert_int_equal(ws->input_row, 120);
    test_run(ws, "input row next");
    assert_int_equal(ws->input_row, 0);
    test_run(ws, "input x=4"); /* typed: no row */
    assert_int_equal(ws->input_row, -1);
    assert_null(strstr(result_of(ws, "input"), "\"row\""));
    test_run(ws, "input row next"); /* from no row: the first */
    assert_int_equal(ws->input_row, 0);
    test_run(ws, "source row 5; swap");
    assert_int_equal(ws->input_row, 5);
    assert_int_equal(ws->source_row, 0);
    assert_float_equal(ws->base[0], 5, 0);
    assert_non_null(strstr(result_of(ws, "source"), "\"row\":0"));
    assert_string_equal(test_run_fails(ws, "input row 121"), "test:1: 'input row 121': input: row 121 is "
                                                        "past the last row, 120");
    assert_non_null(strstr(test_run_fails(ws, "input row -1"), "expected a row number (0 to 120)"));
    assert_int_equal(ws->input_row, 5); /* a failure changes nothing */

    /* Saved and loaded, the rows come back. */
    char dir[] = "/tmp/iv-rows-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *save = iv_xasprintf("save %s/s.iv", dir), *load = iv_xasprintf("load %s/s.iv", dir);
    test_run(ws, save);
    iv_workspace *back = max_ws();
    test_run(back, load);
    assert_int_equal(back->input_row, 5);
    assert_int_equal(back->source_row, 0);
    assert_memory_equal(back->base, ws->base, 2 * sizeof(float));
    iv_workspace_free(back);

    /* A new dataset forgets them; without one, the error says what to do. */
    test_run(ws, "data grid x=0:2 y=0:2");
    assert_int_equal(ws->input_row, -1);
    assert_int_equal(ws->source_row, -1);
    test_run(ws, "data none");
    assert_non_null(strstr(test_run_fails(ws, "input row 3"), "try: data sample 1000 x=-1:1 y=-1:1"));

    /* A row's labels are shown with it. */
    char *csv = iv_xasprintf("%s/p.csv", dir);
    FILE *f = fopen(csv, "w");
    fputs("x,y,bigger\n1,2,1\n4,3,0\n", f);
    fclose(f);
    char *data = iv_xasprintf("data load %s; input row 1", csv);
    test_run(ws, data);
    const char *shown = result_of(ws, "input");
    assert_non_null(strstr(shown, "\"input\":{\"x\":4,\"y\":3},\"row\":1"));
    assert_non_null(strstr(shown, "\"labels\":{\"bigger\":0}"));
    unlink(csv);
    char *path = iv_xasprintf("%s/s.iv", dir);
    unlink(path);
    rmdir(dir);
    free(path);
    free(data);
    free(csv);
    free(save);
    free(load);
    iv_workspace_free(ws);
}

/* ---- what save, export and data report ------------------------------------------------------- */

static void result_has(iv_workspace *ws, const char *line, const char *text)
{
    const char *got = result_of(ws, line);
    if (!strstr(got, text))
        fail_msg("'%s' gave %s, without '%s'", line, got, text);
}

static void test_done_messages(void **state)
{
    (void)state;
    char dir[] = "/tmp/iv-done-XXXXXX";
    assert_non_null(mkdtemp(dir));
    iv_workspace *ws = max_ws();
    char *line = iv_xasprintf("save %s/s.iv", dir), *want;
    json_object *saved = json_tokener_parse(result_of(ws, line));
    want = iv_xasprintf("saved session to %s/s.iv (4 commands)", dir); /* model, seed, data, input */
    assert_string_equal(json_object_get_string(json_object_object_get(saved, "done")), want);
    assert_int_equal(json_object_get_int(json_object_object_get(saved, "commands")), 4);
    json_object_put(saved);
    free(line);
    free(want);
    line = iv_xasprintf("export \"activations h1\" %s/a.csv", dir);
    result_has(ws, line, "a.csv (CSV, 121 rows)\"");
    free(line);
    line = iv_xasprintf("export show %s/s.json", dir);
    result_has(ws, line, "s.json (JSON, 7 results)\""); /* one per site */
    free(line);
    line = iv_xasprintf("export \"compare h1[0]\" %s/c.csv", dir);
    result_has(ws, line, "c.csv (CSV, 1 row)\"");
    free(line);
    assert_string_equal(result_of(ws, "data grid x=0:1 y=0:2"),
                        "{\"done\":\"dataset: grid x=0:1:1 y=0:2:1 (6 examples, 2 inputs)\","
                        "\"dataset\":\"grid x=0:1:1 y=0:2:1\",\"examples\":6,\"inputs\":2,"
                        "\"labels\":[]}\n");
    assert_non_null(strstr(result_of(ws, "data none"), "\"done\":\"dataset: none\""));
    /* The command not quoted: the fixed command is shown. */
    assert_non_null(strstr(test_run_fails(ws, "export compare h1 out.csv"),
                           "export: put the command in quotes: export \"compare h1\" out.csv"));
    assert_non_null(strstr(test_run_fails(ws, "export sweep input[x] 0 10 s.json"),
                           "export \"sweep input[x] 0 10\" s.json"));
    const char *files[] = {"s.iv", "a.csv", "s.json", "c.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *p = iv_xasprintf("%s/%s", dir, files[i]);
        unlink(p);
        free(p);
    }
    rmdir(dir);
    iv_workspace_free(ws);
}

/* ---- metric label ------------------------------------------------------------------------------ */

/* Two inputs whose values are the logits (identity) or go through a softmax; labels c in a CSV. */
static iv_workspace *label_ws(const char *act, const char *csv)
{
    char *text = iv_xasprintf("model m\ninputs x y\nlayer out %s\n  weights\n    1 0\n    0 1\n",
                              act);
    iv_workspace *ws = test_ws_from_text(text);
    free(text);
    char *data = iv_xasprintf("data load %s", csv);
    test_run(ws, data);
    free(data);
    return ws;
}

static double json_number(const char *json, const char *key)
{
    json_object *obj = json_tokener_parse(json);
    json_object *v = obj ? json_object_object_get(obj, key) : NULL;
    if (!v)
        fail_msg("no %s in %s", key, json);
    double d = json_object_get_double(v);
    json_object_put(obj);
    return d;
}

/* -log softmax(z)[c], by hand. */
static double hand_ce(double z0, double z1, int c)
{
    return log(exp(z0) + exp(z1)) - (c ? z1 : z0);
}

static void test_metric_label(void **state)
{
    (void)state;
    char dir[] = "/tmp/iv-label-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *csv = iv_xasprintf("%s/d.csv", dir);
    FILE *f = fopen(csv, "w");
    fputs("x,y,c,half,big\n1,2,1,0.5,0\n4,3,0,1,2\n0,5,0,1,0\n2,1,0,0,0\n", f);
    fclose(f);
    const double X[4] = {1, 4, 0, 2}, Y[4] = {2, 3, 5, 1};
    const int C[4] = {1, 0, 0, 0};
    double clean = 0, after = 0; /* mean cross-entropy, clean and with the first logit set to 0 */
    for (int r = 0; r < 4; r++) {
        clean += hand_ce(X[r], Y[r], C[r]) / 4;
        after += hand_ce(0, Y[r], C[r]) / 4;
    }
    const char *acts[] = {"identity", "softmax"}; /* logits, and a model ending in softmax */
    for (int a = 0; a < 2; a++) {
        iv_workspace *ws = label_ws(acts[a], csv);
        const char *m = result_of(ws, "metric label c");
        assert_non_null(strstr(m, "\"metric\":\"label c\",\"loss\":\"cross-entropy to the labels\""));
        test_run(ws, "set out.pre[0] 0");
        const char *e = result_of(ws, "effect");
        assert_float_equal(json_number(e, "loss_gap"), after - clean, 1e-5);
        /* clean: rows 0, 1 and 3 right; intervened: only row 0 */
        assert_float_equal(json_number(e, "label_accuracy_clean"), 0.75, 1e-12);
        assert_float_equal(json_number(e, "label_accuracy"), 0.25, 1e-12);
        assert_non_null(strstr(e, "\"label_summary\":\"accuracy clean 0.75 -> intervened 0.25\""));
        assert_non_null(strstr(result_of(ws, "compare out.pre[1]"), "\"label_accuracy_clean\":0.75"));
        test_run(ws, "clear; ablate out.pre[0] optimal"); /* a search through the label loss */

        /* The gradient of the loss, against central differences at an output off the clean one. */
        iv_metrics_acc acc;
        iv_error err;
        assert_int_equal(iv_metrics_begin(ws, &acc, &err), 0);
        float y[8] = {0.3f, 0.7f, 0.6f, 0.4f, 0.2f, 0.8f, 0.9f, 0.1f}, grad[8];
        iv_metrics_grad(&acc, y, 0, 4, 1, grad);
        for (int k = 0; k < 8; k++) {
            const float h = 1e-3f;
            float up[8], down[8];
            memcpy(up, y, sizeof y);
            memcpy(down, y, sizeof y);
            up[k] += h;
            down[k] -= h;
            acc.loss = 0;
            iv_metrics_add(&acc, up, 0, 4, 1, false);
            double lu = acc.loss;
            acc.loss = 0;
            iv_metrics_add(&acc, down, 0, 4, 1, false);
            double numeric = (lu - acc.loss) / (2.0 * h);
            if (fabs(numeric - grad[k]) > 2e-3 * (1 + fabs(numeric)))
                fail_msg("%s: d/dy[%d] %g, differences %g", acts[a], k, grad[k], numeric);
        }
        free(acc.owned);

        /* Errors name what is wrong. */
        assert_non_null(strstr(test_run_fails(ws, "metric label q"),
                               "no such column; its label columns: c, half, big"));
        assert_non_null(strstr(test_run_fails(ws, "metric label half"), "row 0 holds 0.5, not a class"));
        assert_non_null(strstr(test_run_fails(ws, "metric label big"),
                               "row 1 holds class 2, but the model has 2 outputs"));
        assert_int_equal(ws->label_column, 0); /* still c */
        /* A dataset without the column: back to clean, and said. */
        test_run(ws, "clear");
        assert_non_null(strstr(result_of(ws, "data grid x=0:1 y=0:1"), "metric: back to clean"));
        assert_int_equal(ws->label_column, -1);
        assert_non_null(strstr(result_of(ws, "metric"), "\"metric\":\"clean\""));
        iv_workspace_free(ws);
    }
    iv_workspace *one = test_ws_from_text("model o\ninputs x y\nlayer out identity\n  weights\n    1 1\n");
    char *data = iv_xasprintf("data load %s", csv);
    test_run(one, data);
    assert_non_null(strstr(test_run_fails(one, "metric label c"), "the model has 1 output"));
    free(data);
    iv_workspace_free(one);
    unlink(csv);
    rmdir(dir);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_script_lines_and_comments),
        cmocka_unit_test(test_keep_going),
        cmocka_unit_test(test_argument_counts),
        cmocka_unit_test(test_result_types),
        cmocka_unit_test(test_errors_prefixed_once),
        cmocka_unit_test(test_gridmap_decode),
        cmocka_unit_test(test_session_round_trip),
        cmocka_unit_test(test_failed_load_keeps_session),
        cmocka_unit_test(test_load_refuses_incomplete_sessions),
        cmocka_unit_test(test_load_refuses_itself),
        cmocka_unit_test(test_save_is_atomic),
        cmocka_unit_test(test_help_covers_table),
        cmocka_unit_test(test_sample_file_is_builtin),
        cmocka_unit_test(test_dataset_hint_runs),
        cmocka_unit_test(test_input_row),
        cmocka_unit_test(test_done_messages),
        cmocka_unit_test(test_metric_label),
    };
    return cmocka_run_group_tests_name("commands", tests, NULL, NULL);
}
