/* tui_commands.c - running command text in the explorer: the UI's own commands (view, cursor,
 * selection, focus), then the engine's table; results go to the message line or a popup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "tui.h"

/* ---- the UI's commands --------------------------------------------------------------------------- */

static int cmd_view(tui *t, int argc, char **argv, iv_error *err)
{
    static const char *const names[TUI_VIEW_COUNT] = {"intervened", "clean", "diff", "source"};
    if (argc == 0 || strcmp(argv[0], "next") == 0) {
        t->view = (tui_view)((t->view + 1) % TUI_VIEW_COUNT);
        return 0;
    }
    for (int v = 0; v < TUI_VIEW_COUNT; v++)
        if (strcmp(argv[0], names[v]) == 0) {
            t->view = (tui_view)v;
            return 0;
        }
    return iv_error_set(err, "expected intervened, clean, diff, source or next, got '%s'",
                        argv[0]);
}

/* Moves the cursor to a neuron ("h1[2]"), or by one step: up, down, left, right. */
static int cmd_cursor(tui *t, int argc, char **argv, iv_error *err)
{
    if (argc != 1)
        return iv_error_set(err, "expected ADDR, up, down, left or right");
    const iv_model *m = t->ws->model;
    int sites[IV_MAX_SITES], n = tui_visible_sites(t, sites, IV_MAX_SITES);
    int row = 0;
    while (row < n && sites[row] != t->cur_site)
        row++;
    const char *d = argv[0];
    if (!strcmp(d, "up") || !strcmp(d, "down")) {
        row += !strcmp(d, "up") ? -1 : 1;
        if (row < 0 || row >= n)
            return 0; /* at the edge: stay */
        t->cur_site = sites[row];
        int w = iv_model_site_width(m, t->cur_site);
        if (t->cur_neuron >= w)
            t->cur_neuron = w - 1;
        return 0;
    }
    if (!strcmp(d, "left") || !strcmp(d, "right")) {
        int w = iv_model_site_width(m, t->cur_site);
        int next = t->cur_neuron + (!strcmp(d, "left") ? -1 : 1);
        if (next >= 0 && next < w)
            t->cur_neuron = next;
        return 0;
    }
    iv_addr a;
    if (iv_addr_parse(m, d, &a, err) < 0)
        return -1;
    t->cur_site = a.site;
    t->cur_neuron = a.idx[0];
    if (iv_model_site_kind(m, a.site) == IV_SITE_PRE)
        t->show_pre = true;
    iv_addr_clear(&a);
    return 0;
}

/* Toggles the selection of the addressed neurons; "select none" clears it everywhere. */
static int cmd_select(tui *t, int argc, char **argv, iv_error *err)
{
    if (argc != 1)
        return iv_error_set(err, "expected ADDR or none");
    if (strcmp(argv[0], "none") == 0) {
        tui_clear_selection(t);
        return 0;
    }
    iv_addr a;
    if (iv_addr_parse(t->ws->model, argv[0], &a, err) < 0)
        return -1;
    for (int j = 0; j < a.n; j++) {
        bool *cell = &t->selected[t->site_offset[a.site] + a.idx[j]];
        *cell = !*cell;
    }
    iv_addr_clear(&a);
    return 0;
}

static int cmd_focus(tui *t, int argc, char **argv, iv_error *err)
{
    const iv_model *m = t->ws->model;
    if (argc == 0 || strcmp(argv[0], "next") == 0) {
        t->focus_input = (t->focus_input + 1) % m->n_inputs;
        return 0;
    }
    for (int i = 0; i < m->n_inputs; i++)
        if (strcmp(argv[0], m->input_names[i]) == 0) {
            t->focus_input = i;
            return 0;
        }
    return iv_error_set(err, "the model has no input '%s'", argv[0]);
}

static int cmd_map(tui *t, int argc, char **argv, iv_error *err)
{
    if (argc == 0)
        t->map_output = !t->map_output;
    else if (!strcmp(argv[0], "change") || !strcmp(argv[0], "output"))
        t->map_output = !strcmp(argv[0], "output");
    else
        return iv_error_set(err, "expected change or output");
    return 0;
}

static int cmd_pre(tui *t, int argc, char **argv, iv_error *err)
{
    if (argc == 0)
        t->show_pre = !t->show_pre;
    else if (!strcmp(argv[0], "on") || !strcmp(argv[0], "off"))
        t->show_pre = !strcmp(argv[0], "on");
    else
        return iv_error_set(err, "expected on or off");
    const iv_model *m = t->ws->model;
    int layer = iv_model_site_layer(m, t->cur_site);
    if (!t->show_pre && iv_model_site_kind(m, t->cur_site) == IV_SITE_PRE && layer >= 0)
        t->cur_site = iv_model_layer_site(m, layer); /* to the site the layer shows */
    return 0;
}

static int cmd_quit(tui *t, int argc, char **argv, iv_error *err)
{
    bool force = argc > 0 && strcmp(argv[0], "!") == 0;
    if (t->ws->unsaved && !force && !t->confirm_quit) {
        t->confirm_quit = true;
        iv_error_set(err, "there are unsaved interventions: press q again to quit, or "
                     "':save FILE'");
        return IV_ERROR_AS_IS; /* a question, not a failure of 'quit' */
    }
    t->quit = true;
    return 0;
}

static int cmd_demo(tui *t, int argc, char **argv, iv_error *err)
{
    if (!t->demo)
        return iv_error_set(err, "not in lecture mode (start with intervene --demo FILE)");
    int delta = argc && !strcmp(argv[0], "back") ? -1 : 1;
    if (tui_demo_step(t, delta) == 0)
        return 0;
    /* A command of the step failed, and its message is on the message line: it stays as it is. */
    iv_error_set(err, "%s", t->message);
    return IV_ERROR_AS_IS;
}

static const tui_command ui_table[] = {
    {"view", "[intervened|clean|diff|source|next]", "what the heatmaps show", cmd_view},
    {"cursor", "ADDR|up|down|left|right", "move the cursor", cmd_cursor},
    {"select", "ADDR|none", "toggle the selection of neurons", cmd_select},
    {"focus", "[NAME|next]", "the input that + and - step", cmd_focus},
    {"map", "[change|output]", "what the effect map shows over the dataset", cmd_map},
    {"pre", "[on|off]", "show the pre-activation sites (NAME.pre)", cmd_pre},
    {"demo", "[next|back]", "step the lecture forward or back", cmd_demo},
    {"quit", "[!]", "leave (asks first when there are unsaved interventions)", cmd_quit},
};

const tui_command *tui_commands(int *count)
{
    *count = (int)(sizeof ui_table / sizeof ui_table[0]);
    return ui_table;
}

static const tui_command *find_ui_command(const char *name)
{
    for (size_t i = 0; i < sizeof ui_table / sizeof ui_table[0]; i++)
        if (strcmp(ui_table[i].name, name) == 0)
            return &ui_table[i];
    return NULL;
}

/* ---- results ------------------------------------------------------------------------------------ */

typedef struct collected {
    iv_buf text;     /* every result rendered as text */
    int rows, cols;  /* the screen, for charts */
    int results;
    int added;       /* results that report a new intervention (IV_RESULT_ADDED) */
    char summary[512];
} collected;

/* A short line for a new intervention: "#1 zero h1[1]: out 5 -> 8". */
static void summarize_added(json_object *obj, char *buf, size_t n)
{
    json_object *added = json_object_object_get(obj, "added");
    json_object *out = json_object_object_get(obj, "output");
    iv_buf b = {0};
    iv_buf_printf(&b, "#%d %s %s", json_object_get_int(json_object_object_get(added, "id")),
                  json_object_get_string(json_object_object_get(added, "kind")),
                  json_object_get_string(json_object_object_get(added, "neurons")));
    json_object *vals = json_object_object_get(added, "values");
    if (vals && json_object_array_length(vals) == 1)
        iv_buf_printf(&b, " = %s", json_object_get_string(json_object_array_get_idx(vals, 0)));
    json_object *clean = json_object_object_get(out, "clean");
    json_object *iv = json_object_object_get(out, "intervened");
    if (json_object_array_length(clean) == 1)
        iv_buf_printf(&b, ": out %s -> %s%s",
                      json_object_get_string(json_object_array_get_idx(clean, 0)),
                      json_object_get_string(json_object_array_get_idx(iv, 0)),
                      json_object_object_get(out, "samples") ? " (mean over samples)" : "");
    snprintf(buf, n, "%s", b.data);
    iv_buf_free(&b);
}

static void collect(iv_result_type type, json_object *obj, void *user)
{
    collected *c = user;
    if (type == IV_RESULT_ADDED) {
        summarize_added(obj, c->summary, sizeof c->summary);
        c->added++;
    }
    char *chart = NULL;
    if (type == IV_RESULT_SWEEP) /* a sweep reads best as a chart */
        chart = tui_chart_text(obj, c->cols - 8, c->rows > 30 ? 20 : c->rows - 10);
    if (chart) {
        iv_buf_printf(&c->text, "%s", chart);
        free(chart);
    } else {
        ui_render_text(type, obj, &c->text);
    }
    c->results++;
    json_object_put(obj);
}

static void set_message(tui *t, bool error, const char *text)
{
    snprintf(t->message, sizeof t->message, "%s", text);
    t->message_is_error = error;
}

static void open_popup(tui *t, const char *title, const char *text)
{
    free(t->popup.title);
    free(t->popup.text);
    t->popup.title = iv_xstrdup(title);
    t->popup.text = iv_xstrdup(text);
    t->popup.scroll = 0;
}

/* Shows what the commands reported: one line in the message line, more in a popup. */
static void show_results(tui *t, const char *line, collected *c)
{
    /* New interventions show in their panel: the message names the last one and its effect. */
    if (c->added && c->added == c->results) {
        set_message(t, false, c->summary);
        return;
    }
    if (!c->text.data || !c->text.len)
        return;
    char *nl = strchr(c->text.data, '\n');
    if (nl == c->text.data + c->text.len - 1) {
        *nl = '\0';
        set_message(t, false, c->text.data);
        return;
    }
    open_popup(t, line, c->text.data);
    set_message(t, false, "results below; any key closes them");
}

/* The help text, generated from the key table and both command tables. */
char *tui_help_text(void)
{
    iv_buf b = {0};
    int n;
    const tui_key *keys = tui_keys(&n);
    iv_buf_printf(&b, "Keys (each runs the command shown at the bottom, so you can type it too)\n");
    for (int i = 0; i < n; i++)
        if (keys[i].label)
            iv_buf_printf(&b, "  %-8s %s\n", keys[i].label, keys[i].help);
    iv_buf_printf(&b, "\nCommands (type : first; Tab completes)\n");
    const iv_command *cmds = iv_commands(&n);
    for (int i = 0; i < n; i++)
        iv_buf_printf(&b, "  %-7s %-24s %s\n", cmds[i].name, cmds[i].usage, cmds[i].summary);
    const tui_command *ui = tui_commands(&n);
    for (int i = 0; i < n; i++)
        iv_buf_printf(&b, "  %-7s %-24s %s\n", ui[i].name, ui[i].usage, ui[i].summary);
    iv_buf_printf(&b, "\nNeurons: h1 (all)  h1[2]  h1[0,3]  h1[1:3] (half-open)  h1[\"x-y\"] (label)\n");
    return b.data;
}

/* ---- running a line ------------------------------------------------------------------------------ */

static void recompute_effect(tui *t)
{
    iv_effect_free(&t->effect);
    t->effect_valid = false;
    iv_error err;
    if (iv_workspace_effect(t->ws, &t->effect, &err) == 0)
        t->effect_valid = true;
    else
        snprintf(t->effect_error, sizeof t->effect_error, "%s", err.msg);
}

/* Runs a UI command, prefixing its errors with its name as iv_command_run does the engine's. */
static int run_ui(tui *t, const tui_command *ui, int argc, char **argv, iv_error *err)
{
    int rc = ui->run(t, argc, argv, err);
    if (rc < 0 && rc != IV_ERROR_AS_IS)
        iv_error_prefix(err, "%s", ui->name);
    return rc < 0 ? -1 : rc;
}

/* Runs one command given as words: a UI command, `help` alone (the help screen), or the engine's.
 * Sets *changed when the command may have changed what is evaluated. */
static int run_words(tui *t, int argc, char **argv, const iv_sink *sink, bool *changed,
                     iv_error *err)
{
    const tui_command *ui = find_ui_command(argv[0]);
    if (ui)
        return run_ui(t, ui, argc - 1, argv + 1, err);
    if (strcmp(argv[0], "q") == 0)
        return run_ui(t, find_ui_command("quit"), argc - 1, argv + 1, err);
    if (strcmp(argv[0], "help") == 0 && argc == 1) {
        char *text = tui_help_text();
        open_popup(t, "help", text);
        free(text);
        return 0;
    }
    const iv_command *c = iv_command_find(argv[0]);
    if (c && (c->flags & IV_CMD_CHANGES))
        *changed = true;
    return iv_command_run(t->ws, argc, argv, sink, err);
}

int tui_run(tui *t, const char *text)
{
    snprintf(t->echo, sizeof t->echo, "%s", text);
    t->message[0] = '\0';
    t->message_is_error = false;
    if (strcmp(text, "quit") && strcmp(text, "q"))
        t->confirm_quit = false;
    const iv_model *model_before = t->ws->model;
    collected c = {.rows = t->rows, .cols = t->cols};
    iv_sink sink = {collect, &c};
    iv_script_command *cmds;
    int n = iv_script_split(text, &cmds), rc = 0;
    bool changed = false;
    for (int i = 0; i < n && rc == 0; i++) {
        char **argv;
        iv_error err;
        int argc = iv_words_split(cmds[i].text, &argv, &err);
        rc = argc < 0 ? -1 : argc == 0 ? 0 : run_words(t, argc, argv, &sink, &changed, &err);
        if (argc >= 0)
            iv_words_free(argv);
        if (rc < 0)
            set_message(t, true, err.msg);
    }
    iv_script_free(cmds, n);
    if (t->ws->model != model_before)
        tui_model_changed(t);
    if (rc == 0)
        show_results(t, text, &c);
    iv_buf_free(&c.text);
    if (changed || !t->effect_valid)
        recompute_effect(t);
    return rc;
}
