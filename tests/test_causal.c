/* test_causal.c - high-level causal models, alignments and interchange intervention accuracy,
 * against METHODS.md's oracles (s = b changes nothing; the output aligned with a whole layer gives
 * the factual accuracy), hand-computed counts on the lecture network checked by a brute-force loop
 * of single patches, and the hand-built hierarchical equality network (IIA 1.00). */
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
#include "causal.h"
#include "commands.h"
#include "formats/formats.h"
#include "iia.h"
#include "rng.h"

#define MAX_CAUSAL "gt = x > y; out = gt ? x : y"

static iv_workspace *max_ws(void)
{
    iv_error err;
    iv_workspace *ws = iv_workspace_new(iv_model_builtin_max(), &err);
    if (!ws)
        fail_msg("%s", err.msg);
    return ws;
}

static char *const max_inputs[] = {"x", "y"};

static iv_causal *parse_ok(const char *text)
{
    iv_error err;
    iv_causal *c = iv_causal_parse(text, NULL, 2, max_inputs, &err);
    if (!c)
        fail_msg("'%s' did not parse: %s", text, err.msg);
    return c;
}

static void expect_parse_error(const char *text, const char *origin, const char *msg)
{
    iv_error err;
    iv_causal *c = iv_causal_parse(text, origin, 2, max_inputs, &err);
    if (c)
        fail_msg("'%s' parsed", text);
    if (strcmp(err.msg, msg) != 0)
        fail_msg("'%s': '%s', expected '%s'", text, err.msg, msg);
}

static iv_iia_result iia_of(iv_workspace *ws)
{
    iv_iia_options opt = {.seed = 1, .tol = IV_IIA_DEFAULT_TOL};
    iv_iia_result r;
    iv_error err;
    if (iv_iia_run(ws, &opt, &r, &err) < 0)
        fail_msg("iia: %s", err.msg);
    return r;
}

static void expect_contains(const char *msg, const char *part)
{
    if (!strstr(msg, part))
        fail_msg("'%s' does not say '%s'", msg, part);
}

/* ---- the causal model -------------------------------------------------------------------------- */

static void test_parse_max_model(void **state)
{
    (void)state;
    iv_causal *c = parse_ok("# the lecture's program\n" MAX_CAUSAL "  # and its output\n");
    assert_int_equal(c->n_vars, 4);
    assert_int_equal(c->n_inputs, 2);
    assert_string_equal(c->names[2], "gt");
    assert_int_equal(c->output, 3);
    assert_int_equal(c->vars[2].n_parents, 2); /* gt reads x, y */
    assert_int_equal(c->vars[3].n_parents, 3); /* out reads x, y, gt */
    assert_int_equal(c->vars[3].parents[2], 2);
    char *text = iv_causal_text(c);
    assert_string_equal(text, MAX_CAUSAL);
    iv_causal *again = parse_ok(text); /* the saved form reads back */
    assert_int_equal(again->n_vars, 4);
    free(text);
    /* Factual values: (3, 5) and (5, 3) from LECTURE.md. */
    float in[] = {3, 5, 5, 3, 4, 4};
    double vals[12];
    iv_causal_eval(c, in, 3, vals);
    assert_true(vals[2] == 0 && vals[3] == 5);
    assert_true(vals[6] == 1 && vals[7] == 5);
    assert_true(vals[10] == 0 && vals[11] == 4); /* on the diagonal the program says y */
    iv_causal_free(again);
    iv_causal_free(c);
    /* The output is `out` when there is one, else the last assignment; lines and ';' mix. */
    c = parse_ok("a = x + y\nout = a * 2; b = out + 1");
    assert_string_equal(c->names[c->output], "out");
    iv_causal_free(c);
    c = parse_ok("a = x + y; b = a - 1");
    assert_string_equal(c->names[c->output], "b");
    iv_causal_free(c);
}

static void test_word_operators(void **state)
{
    (void)state;
    /* and, or, not mean &&, ||, ! on every combination. */
    iv_causal *c = parse_ok("p = x > 1 and not (y > 1) or x == y; q = x > 1 && !(y > 1) || x == y");
    for (int x = 0; x < 3; x++)
        for (int y = 0; y < 3; y++) {
            float in[] = {(float)x, (float)y};
            double v[4];
            iv_causal_eval(c, in, 1, v);
            if (v[2] != v[3])
                fail_msg("x=%d y=%d: words %g, symbols %g", x, y, v[2], v[3]);
        }
    iv_causal_free(c);
    /* A word operator is a whole word: names that begin with one are names. */
    iv_error err;
    char *names[] = {"order", "android", "notion", "not"};
    iv_expr *e = iv_expr_parse("order and android or notion", 3, names, &err);
    assert_non_null(e);
    double vals[] = {0, 1, 1};
    assert_true(iv_expr_eval(e, vals) == 1);
    iv_expr_free(e);
    /* A variable called not wins where a variable can stand. */
    e = iv_expr_parse("not + 1", 4, names, &err);
    assert_non_null(e);
    double four[] = {0, 0, 0, 2};
    assert_true(iv_expr_eval(e, four) == 3);
    iv_expr_free(e);
    /* ... and what the symbols refused, the words refuse too. */
    assert_null(iv_expr_parse("order and", 1, names, &err));
    assert_string_equal(err.msg, "column 10: expected a number, a name or '('");
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_parse_error("gt = x > y\nout = z ? x : y", "causal.txt",
                       "causal.txt:2: variable 'out': column 7: unknown name 'z' (expected one of: "
                       "x, y, gt)");
    /* Inline, on one line: the column counts from the start of the text. */
    expect_parse_error("gt = x > y; out = gt ? x : q", NULL,
                       "variable 'out': column 28: unknown name 'q' (expected one of: x, y, gt)");
    /* A variable is read only after it is assigned. */
    expect_parse_error("out = gt ? x : y\ngt = x > y", NULL,
                       "line 1: variable 'out': column 7: unknown name 'gt' (expected one of: x, "
                       "y)");
    expect_parse_error("a = x\n\na = y", "m.txt",
                       "m.txt:3: variable 'a' is assigned twice (first on line 1)");
    expect_parse_error("x = y + 1", NULL,
                       "variable 'x' is an input of the network; give it another name");
    expect_parse_error("not = x", NULL,
                       "'not' is a word of the expressions; give the variable another name");
    expect_parse_error("gt x > y", NULL, "column 4: expected '=' after 'gt' (NAME = EXPRESSION)");
    expect_parse_error("gt == x", NULL, "column 4: expected '=' after 'gt' (NAME = EXPRESSION)");
    expect_parse_error("1a = x", NULL, "column 1: expected NAME = EXPRESSION");
    expect_parse_error("a = ", NULL, "variable 'a': empty expression");
    expect_parse_error("a = x +", NULL, "variable 'a': column 8: expected a number, a name or '('");
    expect_parse_error("# only a comment\n;;", "c.txt",
                       "c.txt: no variables: expected NAME = EXPRESSION, e.g. 'gt = x > y; out = "
                       "gt ? x : y'");
}

static void test_counterfactuals(void **state)
{
    (void)state;
    iv_causal *c = parse_ok(MAX_CAUSAL);
    /* Bases (3, 5) and (4, 4); gt set from the sources (5, 3) and (1, 2). */
    float bases[] = {3, 5, 4, 4};
    double base_vals[8], out[8];
    iv_causal_eval(c, bases, 2, base_vals);
    int gt = 2;
    double from_sources[] = {1, 0};
    iv_causal_intervene(c, base_vals, 2, &gt, 1, from_sources, out);
    assert_true(out[3] == 3); /* gt true: x of the base, as LECTURE.md's patch gives */
    assert_true(out[2] == 1 && out[0] == 3 && out[1] == 5);
    assert_true(out[7] == 4); /* gt false: y of the base */
    /* Several variables, each from its own value: x and gt. */
    int set[] = {0, 2};
    double vals[] = {9, 1, 9, 0};
    iv_causal_intervene(c, base_vals, 2, set, 2, vals, out);
    assert_true(out[3] == 9 && out[7] == 4);
    /* Setting an input recomputes what reads it. */
    int x = 0;
    double x9[] = {9, 0};
    iv_causal_intervene(c, base_vals, 2, &x, 1, x9, out);
    assert_true(out[2] == 1 && out[3] == 9); /* (9, 5): gt true, out 9 */
    assert_true(out[6] == 0 && out[7] == 4); /* (0, 4) */
    /* Setting the output overrides everything. */
    int o = 3;
    double seven[] = {7, 8};
    iv_causal_intervene(c, base_vals, 2, &o, 1, seven, out);
    assert_true(out[3] == 7 && out[7] == 8);
    iv_causal_free(c);
}

/* ---- the commands ------------------------------------------------------------------------------ */

static void test_causal_command(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "causal \"" MAX_CAUSAL "\"");
    assert_non_null(ws->causal);
    assert_int_equal(ws->causal->n_vars, 4);
    /* Words without quotes, when they hold '=', are the text too. */
    test_run(ws, "causal gt = x > y");
    assert_int_equal(ws->causal->n_vars, 3);
    test_run(ws, "causal \"" MAX_CAUSAL "\"; align gt h1[0:2]");
    /* A file, with its errors named by file and line. */
    char dir[] = "/tmp/iv_causal_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = iv_xasprintf("%s/causal.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("gt = x > y\nout = z ? x : y\n", f);
    fclose(f);
    char *cmd = iv_xasprintf("causal %s", path);
    const char *msg = test_run_fails(ws, cmd);
    char *want = iv_xasprintf("causal: %s:2: variable 'out': column 7: unknown name 'z' (expected "
                              "one of: x, y, gt)", path);
    expect_contains(msg, want);
    /* A failure keeps the model and its alignments. */
    assert_int_equal(ws->causal->n_vars, 4);
    assert_int_equal(ws->n_alignments, 1);
    f = fopen(path, "w");
    fputs("# renamed output\ngt = x > y\nm = gt ? x : y\n", f);
    fclose(f);
    test_run(ws, cmd);
    assert_string_equal(ws->causal->origin, path);
    assert_int_equal(ws->n_alignments, 1); /* gt is still there */
    test_run(ws, "causal \"other = x - y\"");
    assert_int_equal(ws->n_alignments, 0); /* gt is not */
    expect_contains(test_run_fails(ws, "causal /nonexistent/c.txt"), "causal: /nonexistent/c.txt");
    expect_contains(test_run_fails(ws, "causal a b"), "causal: expected causal FILE");
    test_run(ws, "causal none");
    assert_null(ws->causal);
    unlink(path);
    rmdir(dir);
    free(path);
    free(cmd);
    free(want);
    iv_workspace_free(ws);
}

static void test_align_command(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    expect_contains(test_run_fails(ws, "align gt h1[0]"), "align: no causal model");
    expect_contains(test_run_fails(ws, "unalign gt"), "unalign: no causal model");
    test_run(ws, "causal \"" MAX_CAUSAL "\"");
    test_run(ws, "align gt h1[0:2]; align x input[x]"); /* an input variable may be aligned */
    assert_int_equal(ws->n_alignments, 2);
    /* Overlap names both variables; the command changes nothing. */
    expect_contains(test_run_fails(ws, "align out h1[1:3]"),
                    "align: h1[1] would be aligned with both 'out' (h1[1:3]) and 'gt' (h1[0:2])");
    expect_contains(test_run_fails(ws, "align out h2 y h2[1]"),
                    "align: h2[1] would be aligned with both 'y' (h2[1]) and 'out' (h2)");
    assert_int_equal(ws->n_alignments, 2);
    /* Re-aligning a variable replaces its alignment (and may reuse its own neurons). */
    test_run(ws, "align gt h1[0]");
    assert_int_equal(ws->n_alignments, 2);
    assert_int_equal(ws->alignments[0].addr.n, 1);
    expect_contains(test_run_fails(ws, "align z h1[3]"),
                    "align: no variable 'z' in the causal model (expected one of: x, y, gt, out)");
    expect_contains(test_run_fails(ws, "align gt h1[7]"), "align: ");
    expect_contains(test_run_fails(ws, "align gt"), "align: expected align VAR ADDR");
    expect_contains(test_run_fails(ws, "align gt h1 subspace 2"), "distributed alignment search");
    expect_contains(test_run_fails(ws, "unalign out"), "unalign: 'out' is not aligned");
    expect_contains(test_run_fails(ws, "unalign q"), "unalign: no variable 'q'");
    test_run(ws, "unalign x");
    assert_int_equal(ws->n_alignments, 1);
    test_run(ws, "unalign all");
    assert_int_equal(ws->n_alignments, 0);
    /* A new model drops the causal model and its alignments. */
    test_run(ws, "align gt h1[0:2]; model builtin:max");
    assert_null(ws->causal);
    assert_int_equal(ws->n_alignments, 0);
    iv_workspace_free(ws);
}

/* ---- IIA on the lecture network ----------------------------------------------------------------- */

/* The pairs of the grid on which the network, with `addr` patched from the source by the patch
 * command on single inputs (after the interventions `before`), gives what the program
 * gt = x > y; out = gt ? x : y gives with gt set to its value on the source. Independent of iia.c. */
static long brute_force_agree(iv_workspace *ws, const char *addr, const char *before)
{
    const iv_dataset *ds = ws->data;
    long agree = 0;
    char line[256];
    for (long b = 0; b < ds->n; b++)
        for (long s = 0; s < ds->n; s++) {
            float xb = ds->x[2 * b], yb = ds->x[2 * b + 1];
            float xs = ds->x[2 * s], ys = ds->x[2 * s + 1];
            snprintf(line, sizeof line, "clear; input %.9g %.9g; source %.9g %.9g; %s%spatch %s", xb,
                     yb, xs, ys, before, *before ? "; " : "", addr);
            test_run(ws, line);
            int out = iv_model_output_site(ws->model);
            double net = ws->intervened->site[out][0];
            double expected = xs > ys ? xb : yb;
            agree += fabs(net - expected) <= 1e-6 * fmax(1, fabs(expected));
        }
    test_run(ws, "clear; source none");
    return agree;
}

static void test_iia_max_grid(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "causal \"" MAX_CAUSAL "\"; align gt h1[0:2]");
    iv_iia_result r = iia_of(ws);
    assert_true(r.all);
    assert_int_equal(r.pairs, 121 * 121);
    /* By hand: h1[0:2] carries gt except when the source is on the diagonal (then both are 0 and
     * the base's h2 passes x + y): 11 sources x 110 bases with x != 0 fail, 14641 - 1210 agree. */
    assert_int_equal(r.agree, 13431);
    assert_int_equal(brute_force_agree(ws, "h1[0:2]", ""), 13431);
    /* The network is wrong on the diagonal but at (0, 0): 111 of 121 rows. */
    assert_int_equal(r.factual_agree, 111);
    assert_int_equal(r.n_failures, IV_IIA_SHOWN_FAILURES);
    /* The first failure in pair order: base row 1 (1, 0), source row 0 (0, 0): network 1, program 0. */
    assert_int_equal(r.failures[0].base, 1);
    assert_int_equal(r.failures[0].source, 0);
    assert_true(r.failures[0].network == 1 && r.failures[0].expected == 0);
    iv_iia_result_free(&r);
    /* h1[0] alone: by hand, 55 sources with x > y agree on the 76 bases with x >= y or x = 0, the
     * 66 others on the 56 bases with y > x or (0, 0): 4180 + 3696. */
    test_run(ws, "align gt h1[0]");
    r = iia_of(ws);
    assert_int_equal(r.agree, 7876);
    assert_int_equal(brute_force_agree(ws, "h1[0]", ""), 7876);
    assert_null(r.alone);
    iv_iia_result_free(&r);
    iv_workspace_free(ws);
}

/* Interventions that are on stay applied to the base runs, before the patches. */
static void test_iia_keeps_interventions(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "data grid x=0:4 y=0:4; causal \"" MAX_CAUSAL "\"; align gt h1[0:2]");
    iv_iia_result clean = iia_of(ws);
    long want = brute_force_agree(ws, "h1[0:2]", "ablate h2[1] zero");
    test_run(ws, "ablate h2[1] zero");
    iv_iia_result r = iia_of(ws);
    assert_int_equal(r.agree, want);
    assert_true(r.agree != clean.agree); /* the ablation matters, so the test can tell */
    /* ... and off, they are not. */
    test_run(ws, "toggle 1");
    iv_iia_result off = iia_of(ws);
    assert_int_equal(off.agree, clean.agree);
    /* Random ones are refused. */
    test_run(ws, "toggle 1; ablate h1[3] noise");
    expect_contains(test_run_fails(ws, "iia"), "iia: intervention #2 (noise) is random");
    iv_workspace_free(ws);
}

/* Oracle (a): patching clean into clean (s = b) changes nothing, so IIA is the factual accuracy. */
static void test_iia_same_source(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "causal \"" MAX_CAUSAL "\"; align gt h1[0]");
    long n = ws->data->n, *rows = iv_xmalloc(sizeof(long) * (size_t)n);
    for (long i = 0; i < n; i++)
        rows[i] = i;
    iv_iia_result r;
    iv_error err;
    assert_int_equal(iv_iia_run_pairs(ws, rows, rows, n, IV_IIA_DEFAULT_TOL, &r, &err), 0);
    assert_int_equal(r.agree, r.factual_agree);
    assert_int_equal(r.agree, 111);
    iv_iia_result_free(&r);
    /* A pair past the rows is refused. */
    rows[0] = n;
    assert_int_equal(iv_iia_run_pairs(ws, rows, rows, 1, 1e-6, &r, &err), -1);
    expect_contains(err.msg, "is not a pair of rows 0 to 120");
    free(rows);
    /* A dataset of one row has only the pair (b, b). */
    test_run(ws, "data grid x=4:4 y=4:4; align gt h1[0:2]");
    r = iia_of(ws);
    assert_int_equal(r.pairs, 1);
    assert_true(r.iia == r.factual && r.factual == 0); /* (4, 4): the network says 8, not 4 */
    iv_workspace_free(ws);
}

/* Oracle (b): the output aligned with a whole layer that determines it gives the network's accuracy
 * on the sources, which over all pairs is its factual accuracy. */
static void test_iia_whole_layer(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "causal \"" MAX_CAUSAL "\"; align out h2");
    iv_iia_result r = iia_of(ws);
    assert_int_equal(r.agree, 111 * 121);
    assert_true(r.iia == r.factual);
    iv_iia_result_free(&r);
    /* Seeded pairs: the sources' accuracy, pair by pair. */
    iv_iia_options opt = {.pairs = 5000, .seed = 9, .tol = 1e-6};
    assert_int_equal(iv_iia_run(ws, &opt, &r, &(iv_error){0}), 0);
    assert_false(r.all);
    long right = 0; /* source rows off the diagonal, or (0, 0), drawn as iia.c draws them */
    iv_rng g;
    iv_rng_seed(&g, 9);
    for (long i = 0; i < 5000; i++) {
        iv_rng_below(&g, 121);
        long s = (long)iv_rng_below(&g, 121);
        right += s % 11 != s / 11 || s == 0;
    }
    assert_int_equal(r.agree, right);
    iv_iia_result_free(&r);
    /* The same seed, the same pairs; the output site itself works as well as h2. */
    test_run(ws, "align out out");
    iv_iia_result again;
    assert_int_equal(iv_iia_run(ws, &opt, &again, &(iv_error){0}), 0);
    assert_int_equal(again.agree, right);
    iv_workspace_free(ws);
}

/* Chunks of a few pairs give what one chunk gives, failures and all. */
static void test_iia_chunked(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "causal \"" MAX_CAUSAL "\"; align gt h1[0] out h2[1]");
    iv_iia_result whole = iia_of(ws);
    size_t was = iv_pass_limit();
    iv_pass_limit_set(4096);
    iv_iia_result parts = iia_of(ws);
    iv_pass_limit_set(was);
    assert_int_equal(parts.agree, whole.agree);
    assert_int_equal(parts.factual_agree, whole.factual_agree);
    assert_non_null(parts.alone);
    assert_true(parts.alone[0] == whole.alone[0] && parts.alone[1] == whole.alone[1]);
    assert_int_equal(parts.n_failures, whole.n_failures);
    for (int i = 0; i < whole.n_failures; i++)
        assert_memory_equal(&parts.failures[i], &whole.failures[i], sizeof whole.failures[i]);
    /* Each alone is as its own alignment measures it. */
    test_run(ws, "unalign out");
    iv_iia_result gt = iia_of(ws);
    assert_true(gt.iia == whole.alone[0]);
    iv_iia_result_free(&whole);
    iv_iia_result_free(&parts);
    iv_workspace_free(ws);
}

/* A subspace alignment spanned by e0, e1 of h1 patches what h1[0:2] patches, in any basis of it. */
static void test_subspace_patch(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "causal \"" MAX_CAUSAL "\"; align gt h1[0:2]");
    iv_iia_result neurons = iia_of(ws);
    iv_alignment *a = &ws->alignments[0];
    iv_addr_clear(&a->addr);
    iv_error err;
    assert_int_equal(iv_addr_parse(ws->model, "h1", &a->addr, &err), 0);
    a->k = 2;
    /* Rows (c, s, 0, 0) and (-s, c, 0, 0): a rotation of e0, e1. In float the patch is not exact,
     * so the outputs are compared with a tolerance that rounding cannot break and a wrong patch
     * (an error of 1 or more on this grid) cannot pass. */
    float c = (float)cos(0.3), s = (float)sin(0.3);
    float basis[] = {c, s, 0, 0, -s, c, 0, 0};
    a->basis = iv_xmalloc(sizeof basis);
    memcpy(a->basis, basis, sizeof basis);
    iv_iia_options opt = {.seed = 1, .tol = 1e-4};
    iv_iia_result sub;
    assert_int_equal(iv_iia_run(ws, &opt, &sub, &err), 0);
    assert_int_equal(sub.agree, neurons.agree);
    /* The patch itself: base row (1, 2, 3, 4), source (5, 6, 7, 8). */
    float h[] = {1, 2, 3, 4}, src[] = {5, 6, 7, 8};
    iv_alignment_patch(a, h, 1, 4, src);
    assert_float_equal(h[0], 5, 1e-5);
    assert_float_equal(h[1], 6, 1e-5);
    assert_true(h[2] == 3 && h[3] == 4);
    iv_workspace_free(ws);
}

/* ---- the hierarchical equality network ---------------------------------------------------------- */

static iv_workspace *equality_ws(void)
{
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char *path = iv_xasprintf("%s/sample_models/hierarchical-equality.nn", srcdir);
    iv_error err;
    iv_model *m = iv_model_load(path, &err);
    if (!m)
        fail_msg("%s", err.msg);
    iv_workspace *ws = iv_workspace_new(m, &err);
    char *data = iv_xasprintf("data load %s/sample_models/hierarchical-equality.npz", srcdir);
    test_run(ws, data);
    test_run(ws, "causal \"WX = w0 == x0 and w1 == x1; YZ = y0 == z0 and y1 == z1; O = WX == YZ\"");
    free(data);
    free(path);
    return ws;
}

static void test_hierarchical_equality(void **state)
{
    (void)state;
    iv_workspace *ws = equality_ws();
    const iv_dataset *ds = ws->data;
    assert_int_equal(ds->n, 1000);
    /* The data agree with the causal model, row by row, and its patterns are even. */
    double *vals = iv_xmalloc(sizeof(double) * 11 * (size_t)ds->n);
    iv_causal_eval(ws->causal, ds->x, ds->n, vals);
    long counts[4] = {0};
    for (long r = 0; r < ds->n; r++) {
        for (int k = 0; k < 3; k++)
            assert_true(vals[r * 11 + 8 + k] == ds->labels[r * ds->n_labels + k]);
        counts[(int)vals[r * 11 + 8] * 2 + (int)vals[r * 11 + 9]]++;
    }
    for (int p = 0; p < 4; p++)
        assert_int_equal(counts[p], 250);
    free(vals);
    /* Factual accuracy 1.00 and IIA 1.00 aligning WX with neurons 0-3 and YZ with 4-7. */
    test_run(ws, "align WX layer0[0:4] YZ layer0[4:8]");
    iv_iia_result r = iia_of(ws);
    assert_true(r.argmax);
    assert_true(r.all);
    assert_int_equal(r.pairs, 1000000);
    assert_int_equal(r.factual_agree, 1000);
    assert_int_equal(r.agree, 1000000);
    assert_true(r.alone[0] == 1 && r.alone[1] == 1);
    iv_iia_result_free(&r);
    /* Swapped, each alone is wrong (WX set from the source moves YZ's neurons), though both
     * patched from one source together give the source's output either way. */
    test_run(ws, "unalign all; align WX layer0[4:8] YZ layer0[0:4]");
    r = iia_of(ws);
    assert_int_equal(r.agree, 1000000);
    assert_true(r.alone[0] < 0.9 && r.alone[1] < 0.9);
    iv_iia_result_free(&r);
    /* The output with the layer that determines it: the factual accuracy, 1. */
    test_run(ws, "unalign all; align O layer2");
    r = iia_of(ws);
    assert_int_equal(r.agree, 1000000);
    iv_workspace_free(ws);
}

/* ---- sources=each: a source per aligned variable ---------------------------------------------- */

static iv_iia_result iia_with(iv_workspace *ws, bool each, long pairs, uint64_t seed)
{
    iv_iia_options opt = {.pairs = pairs, .seed = seed, .tol = IV_IIA_DEFAULT_TOL, .each = each};
    iv_iia_result r;
    iv_error err;
    if (iv_iia_run(ws, &opt, &r, &err) < 0)
        fail_msg("iia: %s", err.msg);
    return r;
}

/* The agreeing tuples of sources=each by brute force, one tuple at a time: the tuples drawn as
 * iia.h says (seeded: a base, then a source per alignment), layer0 of the base with neurons
 * [lo_wx, lo_wx + 4) from WX's source and [lo_yz, lo_yz + 4) from YZ's, the rest of the network
 * run on that one row, its argmax against O = (WX on WX's source == YZ on YZ's source). */
static long brute_force_each(iv_workspace *ws, int lo_wx, int lo_yz, long pairs, uint64_t seed)
{
    const iv_model *m = ws->model;
    const iv_dataset *ds = ws->data;
    iv_addr layer;
    iv_error err;
    assert_int_equal(iv_addr_parse(m, "layer0", &layer, &err), 0);
    int site = layer.site, w = m->sites[site].width, out = iv_model_output_site(m);
    int nv = ws->causal->n_vars, wx = iv_causal_find(ws->causal, "WX");
    int yz = iv_causal_find(ws->causal, "YZ");
    double *vals = iv_xmalloc(sizeof(double) * (size_t)(nv * ds->n));
    iv_causal_eval(ws->causal, ds->x, ds->n, vals);
    iv_acts *clean = iv_acts_new(m, ds->n, &err), *one = iv_acts_new(m, 1, &err);
    iv_forward(m, ds->x, clean, NULL, NULL);
    iv_rng rng;
    iv_rng_seed(&rng, seed);
    long agree = 0;
    for (long i = 0; i < pairs; i++) {
        long b = (long)iv_rng_below(&rng, (uint64_t)ds->n);
        long s_wx = (long)iv_rng_below(&rng, (uint64_t)ds->n);
        long s_yz = (long)iv_rng_below(&rng, (uint64_t)ds->n);
        float *h = one->site[site];
        memcpy(h, clean->site[site] + b * w, sizeof(float) * (size_t)w);
        for (int j = 0; j < 4; j++) {
            h[lo_wx + j] = clean->site[site][s_wx * w + lo_wx + j];
            h[lo_yz + j] = clean->site[site][s_yz * w + lo_yz + j];
        }
        iv_forward_after(m, one, site, NULL, NULL);
        int top = one->site[out][1] > one->site[out][0];
        int expected = vals[s_wx * nv + wx] == vals[s_yz * nv + yz];
        agree += top == expected;
    }
    iv_acts_free(clean);
    iv_acts_free(one);
    iv_addr_clear(&layer);
    free(vals);
    return agree;
}

static void test_sources_each_hand_built(void **state)
{
    (void)state;
    iv_workspace *ws = equality_ws();
    test_run(ws, "align WX layer0[0:4] YZ layer0[4:8]");
    /* Aligned as built: every tuple agrees, together and alone. */
    iv_iia_result r = iia_with(ws, true, 20000, 7);
    assert_true(r.each);
    assert_false(r.all);
    assert_int_equal(r.n_sources, 2);
    assert_int_equal(r.agree, 20000);
    assert_int_equal(brute_force_each(ws, 0, 4, 20000, 7), 20000);
    assert_true(r.alone[0] == 1 && r.alone[1] == 1);
    iv_iia_result_free(&r);
    /* Swapped: the default still gives 1 (the whole layer from one source), sources=each does
     * not, and says exactly what patching each tuple by hand says. */
    test_run(ws, "unalign all; align WX layer0[4:8] YZ layer0[0:4]");
    r = iia_with(ws, false, 20000, 7);
    assert_int_equal(r.agree, 20000);
    iv_iia_result_free(&r);
    r = iia_with(ws, true, 20000, 7);
    long by_hand = brute_force_each(ws, 4, 0, 20000, 7);
    assert_int_equal(r.agree, by_hand);
    if (!(r.iia < 0.8))
        fail_msg("swapped alignments give IIA %g with sources=each: not clearly below 1", r.iia);
    /* Its failures name both sources, and agree with the ones the result keeps. */
    assert_int_equal(r.n_failures, IV_IIA_SHOWN_FAILURES);
    for (int i = 0; i < r.n_failures; i++)
        assert_int_equal(r.failure_sources[2 * i], r.failures[i].source);
    iv_iia_result_free(&r);
    /* The command takes it (tests/golden/causal-each.iv shows its report). */
    test_run(ws, "iia pairs=2000 seed=7 sources=each");
    expect_contains(test_run_fails(ws, "iia sources=some"), "sources=some: expected each");
    expect_contains(test_run_fails(ws, "iia pairs=all sources=each"), "1000^3");
    iv_workspace_free(ws);
}

/* With one alignment sources=each is the default measurement, pair for pair. */
static void test_sources_each_one_variable(void **state)
{
    (void)state;
    iv_workspace *ws = equality_ws();
    test_run(ws, "align WX layer0[4:8]");
    for (int k = 0; k < 2; k++) {
        long pairs = k ? 5000 : 0; /* every pair, then seeded ones */
        iv_iia_result a = iia_with(ws, false, pairs, 11), b = iia_with(ws, true, pairs, 11);
        assert_int_equal(a.pairs, b.pairs);
        assert_true(a.all == b.all);
        assert_int_equal(a.agree, b.agree);
        assert_true(a.agree < a.pairs); /* something to compare: WX is not in those neurons */
        assert_int_equal(a.n_failures, b.n_failures);
        for (int i = 0; i < a.n_failures; i++) {
            assert_int_equal(a.failures[i].base, b.failures[i].base);
            assert_int_equal(a.failures[i].source, b.failures[i].source);
        }
        iv_iia_result_free(&a);
        iv_iia_result_free(&b);
    }
    iv_workspace_free(ws);
}

/* After das on the trained network, sources=each over seeded tuples is near das's held-out IIA,
 * while one source for both patches the whole layer and scores the network's accuracy. */
static void test_sources_each_after_das(void **state)
{
    (void)state;
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char *path = iv_xasprintf("%s/sample_models/hierarchical-equality-trained.nn", srcdir);
    iv_error err;
    iv_model *m = iv_model_load(path, &err);
    if (!m)
        fail_msg("%s", err.msg);
    iv_workspace *ws = iv_workspace_new(m, &err);
    char *setup = iv_xasprintf(
        "data load \"%s/sample_models/hierarchical-equality-dim4.npz\"; causal \"WX = w0 == x0 and "
        "w1 == x1 and w2 == x2 and w3 == x3; YZ = y0 == z0 and y1 == z1 and y2 == z2 and y3 == "
        "z3; O = WX == YZ\"; das WX,YZ layer0 dims=8,8 pairs=20000 epochs=4 seed=1", srcdir);
    test_run(ws, setup);
    assert_int_equal(ws->n_alignments, 2);
    iv_iia_result r = iia_with(ws, true, 10000, 99);
    if (!(r.iia >= 0.95))
        fail_msg("sources=each after das gives IIA %g, expected at least 0.95", r.iia);
    iv_iia_result_free(&r);
    free(setup);
    free(path);
    iv_workspace_free(ws);
}

/* The answers table gives what iv_causal_intervene gives, on every pair of a grid, for each set
 * of variables of the max model (the output set too). */
static void test_answers_match_intervene(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "causal \"gt = x > y; d = x - y; out = gt ? x : y + d * 0\"");
    const iv_causal *c = ws->causal;
    const iv_dataset *ds = ws->data;
    long n = ds->n;
    int nv = c->n_vars;
    double *vals = iv_xmalloc(sizeof(double) * (size_t)(n * nv));
    double *cf = iv_xmalloc(sizeof(double) * (size_t)nv), *setv = iv_xmalloc(sizeof(double) * 2);
    iv_causal_eval(c, ds->x, n, vals);
    int sets[][2] = {{2, -1}, {3, -1}, {4, -1}, {2, 3}, {0, -1}, {0, 2}};
    for (size_t t = 0; t < sizeof sets / sizeof sets[0]; t++) {
        int k = sets[t][1] < 0 ? 1 : 2;
        iv_causal_answers a;
        iv_causal_answers_init(&a, c, vals, n, sets[t], k);
        for (long b = 0; b < n; b += 3)
            for (long s = 0; s < n; s++) {
                long from[2] = {s, (s * 7 + 3) % n};
                for (int j = 0; j < k; j++)
                    setv[j] = vals[from[j] * nv + sets[t][j]];
                iv_causal_intervene(c, vals + b * nv, 1, sets[t], k, setv, cf);
                double got = iv_causal_answer(&a, b, from);
                assert_memory_equal(&got, &cf[c->output], sizeof got);
            }
        iv_causal_answers_free(&a);
    }
    free(vals);
    free(cf);
    free(setv);
    iv_workspace_free(ws);
}

/* ---- errors, sessions, cancel ---------------------------------------------------------------- */

static void test_iia_errors(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    expect_contains(test_run_fails(ws, "iia"), "iia: no causal model");
    test_run(ws, "causal \"" MAX_CAUSAL "\"");
    expect_contains(test_run_fails(ws, "iia"), "iia: nothing is aligned");
    test_run(ws, "align gt h1[0:2]");
    expect_contains(test_run_fails(ws, "iia pairs=0"), "iia: pairs=0: expected all or a count");
    expect_contains(test_run_fails(ws, "iia pairs=100000000"), "from 1 to 10000000");
    expect_contains(test_run_fails(ws, "iia pairs=lots"), "pairs=lots");
    expect_contains(test_run_fails(ws, "iia tol=nan"), "iia: tol=nan: expected a finite number");
    expect_contains(test_run_fails(ws, "iia tol=-1"), "tol=-1");
    expect_contains(test_run_fails(ws, "iia seed=-2"), "iia: seed=-2: expected a whole number");
    expect_contains(test_run_fails(ws, "iia frob=1"), "iia: unknown option 'frob'");
    expect_contains(test_run_fails(ws, "iia frob"), "iia: 'frob': expected pairs=all|N");
    test_run(ws, "data sample 1001 x=0:10 y=0:10");
    expect_contains(test_run_fails(ws, "iia pairs=all"),
                    "iia: pairs=all would be 1001 x 1001 = 1002001 pairs, more than 1000000");
    iv_iia_result r = iia_of(ws); /* too many for all: seeded ones */
    assert_false(r.all);
    assert_int_equal(r.pairs, IV_IIA_DEFAULT_PAIRS);
    test_run(ws, "data none");
    expect_contains(test_run_fails(ws, "iia"), "no reference dataset");
    expect_contains(test_run_fails(ws, "iia"), "try: data sample 1000 x=-1:1 y=-1:1");
    iv_workspace_free(ws);
    /* A causal output that is no class of a classifier. */
    ws = equality_ws();
    test_run(ws, "causal \"s = w0 + 2\"; align s layer0[0]");
    expect_contains(test_run_fails(ws, "iia"),
                    "iia: the causal model's output 's' is 2.85 on row 0, not a class of the "
                    "network's 2 outputs (0 to 1)");
    iv_workspace_free(ws);
}

static void test_session_and_cancel(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "causal \"" MAX_CAUSAL "\"; align gt h1[0:2] x input[x]");
    char *script = iv_session_script(ws);
    expect_contains(script, "\ncausal \"gt = x > y; out = gt ? x : y\"\nalign gt h1[0:2]\n"
                            "align x input[0]\n");
    iv_error err;
    assert_int_equal(iv_session_check(script, "s.iv", &err), 0);
    iv_workspace *again = max_ws();
    assert_int_equal(iv_script_run(again, script, "s.iv", &iv_sink_discard, false, NULL, NULL,
                                   &err), 0);
    assert_int_equal(again->n_alignments, 2);
    iv_iia_result a = iia_of(ws), b = iia_of(again);
    assert_int_equal(a.agree, b.agree);
    iv_iia_result_free(&a);
    iv_iia_result_free(&b);
    free(script);
    iv_workspace_free(again);
    /* A cancelled job stops it with "cancelled". */
    iv_job job;
    iv_job_init(&job);
    iv_job_cancel(&job);
    ws->job = &job;
    expect_contains(test_run_fails(ws, "iia"), "cancelled");
    ws->job = NULL;
    /* Memory that runs out is a message. */
    iv_fault_inject(1);
    const char *msg = test_run_fails(ws, "iia");
    iv_fault_inject(0);
    expect_contains(msg, "iia: ");
    iv_workspace_free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_max_model),
        cmocka_unit_test(test_word_operators),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_counterfactuals),
        cmocka_unit_test(test_causal_command),
        cmocka_unit_test(test_align_command),
        cmocka_unit_test(test_iia_max_grid),
        cmocka_unit_test(test_iia_keeps_interventions),
        cmocka_unit_test(test_iia_same_source),
        cmocka_unit_test(test_iia_whole_layer),
        cmocka_unit_test(test_iia_chunked),
        cmocka_unit_test(test_subspace_patch),
        cmocka_unit_test(test_hierarchical_equality),
        cmocka_unit_test(test_sources_each_hand_built),
        cmocka_unit_test(test_sources_each_one_variable),
        cmocka_unit_test(test_sources_each_after_das),
        cmocka_unit_test(test_answers_match_intervene),
        cmocka_unit_test(test_iia_errors),
        cmocka_unit_test(test_session_and_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
