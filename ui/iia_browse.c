/* iia_browse.c - the last `iia` and `iia matrix` kept in the explorer's state, and the UI commands
 * that use them: `failure next|prev|N` puts the k-th failing pair on screen as base and source
 * rows, `matrix [agree|error]` shows the last matrix again, coloured by agreement or by error.
 *
 * The engine lists the first few failing pairs of an `iia`; to browse beyond them, `failure` runs
 * the same `iia` again with failures=N (a thousand at a time, or as far as asked), which lists
 * that many; the pairs and seed are the ones it was given, so it finds the same pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iia.h"
#include "render.h"
#include "tui.h"

#define BROWSE_BATCH 1000L /* failing pairs listed at once when more are needed */

/* The options of an `iia` as they would be typed again, without failures=N. */
static char *options_text(int argc, char **argv)
{
    iv_buf b = {0};
    iv_buf_append(&b, "", 0);
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "failures=", 9) != 0)
            iv_buf_printf(&b, " %s", argv[i]);
    return b.data;
}

void tui_iia_take(tui *t, int argc, char **argv, json_object *result)
{
    if (!result)
        return;
    if (json_object_object_get(result, "matrix")) {
        json_object_put(t->iia_matrix);
        t->iia_matrix = json_object_get(result);
        t->iia_matrix_data = t->ws->data;
        return;
    }
    json_object_put(t->iia);
    free(t->iia_args);
    t->iia = json_object_get(result);
    t->iia_args = options_text(argc, argv);
    t->iia_failure = 0;
    t->iia_data = t->ws->data;
}

/* Whether a result kept from data still fits the session: the same dataset, by identity, spec
 * and size (a new dataset renumbers the rows). */
static int check_same_data(const tui *t, json_object *result, const iv_dataset *data,
                           const char *again, iv_error *err)
{
    const iv_dataset *ds = t->ws->data;
    const char *spec = json_object_get_string(json_object_object_get(result, "dataset"));
    if (ds && ds == data && spec && !strcmp(spec, ds->spec))
        return 0;
    return iv_error_set(err, "the dataset has changed since the last %s: run it again", again);
}

/* An engine command run quietly, its results kept from the screen; an iia result, when `kept`
 * is given, is taken as the last one. */
static void keep_iia(iv_result_type type, json_object *obj, void *user)
{
    json_object **kept = user;
    if (type == IV_RESULT_IIA && !*kept)
        *kept = json_object_get(obj);
    json_object_put(obj);
}

static int run_quiet(tui *t, const char *text, bool take_iia, iv_error *err)
{
    char **argv;
    int argc = iv_words_split(text, &argv, err);
    if (argc < 0)
        return -1;
    json_object *kept = NULL;
    iv_sink keep = {keep_iia, &kept};
    int rc = iv_command_run(t->ws, argc, argv, take_iia ? &keep : &iv_sink_discard, err);
    if (rc == 0 && kept)
        tui_iia_take(t, argc - 1, argv + 1, kept);
    json_object_put(kept);
    iv_words_free(argv);
    return rc < 0 ? -1 : 0;
}

/* Lists the first `want` failing pairs by running the last iia again with failures=N. */
static int list_more(tui *t, long want, iv_error *err)
{
    if (want > IV_IIA_MAX_LISTED)
        return iv_error_set(err, "only the first %ld failing pairs can be listed", IV_IIA_MAX_LISTED);
    char *text = iv_xasprintf("iia%s failures=%ld", t->iia_args ? t->iia_args : "", want);
    int rc = run_quiet(t, text, true, err);
    free(text);
    return rc;
}

static long count_of(json_object *obj, const char *key)
{
    return json_object_get_int64(json_object_object_get(obj, key));
}

/* Which failing pair the words ask for: next, prev (wrapping) or N, from 1 to `failing`. */
static int failure_wanted(const tui *t, int argc, char **argv, long failing, long *k,
                          iv_error *err)
{
    const char *w = argc ? argv[0] : "next";
    if (!strcmp(w, "next"))
        *k = t->iia_failure >= failing ? 1 : t->iia_failure + 1;
    else if (!strcmp(w, "prev"))
        *k = t->iia_failure <= 1 ? failing : t->iia_failure - 1;
    else if (iv_parse_int(w, 1, failing, k) < 0)
        return iv_error_set(err, "'%s': expected next, prev or a failing pair from 1 to %ld", w,
                            failing);
    return 0;
}

/* "x=3 y=1" for a model of a few inputs. */
static void inputs_text(const tui *t, long row, char *buf, size_t n)
{
    const iv_workspace *ws = t->ws;
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < ws->model->n_inputs && ws->model->n_inputs <= 4 && used < n; i++) {
        char v[32];
        iv_format_number(v, sizeof v, ws->data->x[row * ws->data->d + i]);
        used += (size_t)snprintf(buf + used, n - used, "%s%s=%s", i ? " " : "",
                                 ws->model->input_names[i], v);
    }
}

/* Puts failing pair k (from 1) of the last iia on screen and says what it is. */
static int show_failure(tui *t, long k, iv_error *err)
{
    json_object *f = json_object_array_get_idx(json_object_object_get(t->iia, "failures"),
                                               (size_t)(k - 1));
    long b = count_of(f, "base_row"), s = count_of(f, "source_row");
    char *text = iv_xasprintf("input row %ld; source row %ld", b, s);
    iv_script_command *cmds;
    int n = iv_script_split(text, &cmds), rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = run_quiet(t, cmds[i].text, false, err);
    iv_script_free(cmds, n);
    free(text);
    if (rc < 0)
        return -1;
    t->iia_failure = k;
    char bin[128], net[32], exp[32];
    inputs_text(t, b, bin, sizeof bin);
    iv_format_number(net, sizeof net,
                     json_object_get_double(json_object_object_get(f, "network")));
    iv_format_number(exp, sizeof exp,
                     json_object_get_double(json_object_object_get(f, "expected")));
    /* With sources=each every variable had its own source: the screen shows the first one's
     * run (there is one source input), and the message names them all. */
    char sources[160];
    json_object *rows = json_object_object_get(f, "source_rows");
    int n_rows = rows ? (int)json_object_array_length(rows) : 0;
    if (n_rows > 1) {
        size_t used = (size_t)snprintf(sources, sizeof sources, "source rows");
        for (int i = 0; i < n_rows && used < sizeof sources; i++)
            used += (size_t)snprintf(sources + used, sizeof sources - used, " %lld",
                                     (long long)json_object_get_int64(
                                         json_object_array_get_idx(rows, (size_t)i)));
        if (used < sizeof sources)
            snprintf(sources + used, sizeof sources - used, " (the first shown)");
    } else {
        snprintf(sources, sizeof sources, "source row %ld", s);
    }
    snprintf(t->message, sizeof t->message, "failure %ld of %ld: base row %ld%s%s%s, %s: "
             "network %s, causal model %s", k, count_of(t->iia, "failing"), b,
             *bin ? " (" : "", bin, *bin ? ")" : "", sources, net, exp);
    t->message_is_error = false;
    return 0;
}

int tui_cmd_failure(tui *t, int argc, char **argv, iv_error *err)
{
    if (argc > 1)
        return iv_error_set(err, "expected next, prev or N");
    if (!t->iia)
        return iv_error_set(err, "no IIA yet: run iia first (after causal and align)");
    if (check_same_data(t, t->iia, t->iia_data, "iia", err) < 0)
        return -1;
    long failing = count_of(t->iia, "failing"), k;
    if (failing == 0)
        return iv_error_set(err, "every pair of the last iia agrees: none fails");
    if (failure_wanted(t, argc, argv, failing, &k, err) < 0)
        return -1;
    long listed = (long)json_object_array_length(json_object_object_get(t->iia, "failures"));
    if (k > listed) {
        long current = t->iia_failure;
        long want = k > BROWSE_BATCH ? k : BROWSE_BATCH;
        if (list_more(t, want < failing ? want : failing, err) < 0)
            return -1;
        t->iia_failure = current; /* a new listing of the same pairs: the place is kept */
        listed = (long)json_object_array_length(json_object_object_get(t->iia, "failures"));
        if (k > listed) /* the session changed since, and fewer pairs fail now */
            return iv_error_set(err, "the pairs fail differently since the last iia: %ld fail "
                                "now; try failure 1", count_of(t->iia, "failing"));
    }
    return show_failure(t, k, err);
}

int tui_cmd_matrix(tui *t, int argc, char **argv, iv_error *err)
{
    if (argc > 1)
        return iv_error_set(err, "expected agree or error");
    if (argc == 0)
        t->iia_matrix_error = !t->iia_matrix_error;
    else if (!strcmp(argv[0], "agree") || !strcmp(argv[0], "error"))
        t->iia_matrix_error = !strcmp(argv[0], "error");
    else
        return iv_error_set(err, "expected agree or error, got '%s'", argv[0]);
    if (!t->iia_matrix)
        return iv_error_set(err, "no interchange matrix yet: run iia matrix (key X)");
    if (check_same_data(t, t->iia_matrix, t->iia_matrix_data, "iia matrix", err) < 0)
        return -1;
    /* The matrix again, in a popup of its own, as the command opened it. */
    tui_popup_free(&t->popup);
    iv_buf text = {0};
    ui_render_text(IV_RESULT_IIA, t->iia_matrix, &text);
    t->popup.title = iv_xstrdup("iia matrix");
    t->popup.text = text.data ? text.data : iv_xstrdup("");
    t->popup.parts = iv_xcalloc(1, sizeof *t->popup.parts);
    t->popup.parts[0].draw = tui_draw_iia_matrix;
    t->popup.parts[0].result = json_object_get(t->iia_matrix);
    t->popup.n_parts = 1;
    snprintf(t->message, sizeof t->message, "the matrix by %s; any key closes it",
             t->iia_matrix_error ? "error" : "agreement");
    return 0;
}
