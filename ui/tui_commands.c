/* tui_commands.c - running command text in the explorer: the UI's own commands (view, cursor,
 * selection, focus), then the engine's table; results go to the message line or a popup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "draw.h"
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
        return iv_error_set(err, "expected ADDR, up, down, left, right, next-site, prev-site, "
                            "next-head or prev-head");
    const iv_model *m = t->ws->model;
    int sites[IV_MAX_SITES], n = tui_visible_sites(t, sites, IV_MAX_SITES);
    int row = 0;
    while (row < n && sites[row] != t->cur_site)
        row++;
    const char *d = argv[0];
    if (tui_grid_mode(t) && tui_grid_cursor(t, d, sites, n) == 0)
        return 0;
    if (!strcmp(d, "next-site") || !strcmp(d, "prev-site"))
        d = d[0] == 'n' ? "down" : "up"; /* the site rows are the sites */
    if (!strcmp(d, "next-head") || !strcmp(d, "prev-head"))
        return iv_error_set(err, "the site under the cursor has no heads");
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
    if (tui_grid_mode(t) && !strchr(d, '[')) { /* a transformer's site: the same place in it */
        iv_addr_clear(&a);
        return tui_grid_cursor_site(t, iv_model_site_find(m, d));
    }
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

/* A transformer's panel under the layers: the effect map, every head of the cursor's block, or
 * the logit lens; naming the panel that is shown goes back to the map (so a key toggles it). */
static int cmd_panel(tui *t, int argc, char **argv, iv_error *err)
{
    static const char *const names[] = {"effect", "heads", "lens"};
    if (argc != 1)
        return iv_error_set(err, "expected effect, heads or lens");
    for (int k = 0; k < 3; k++) {
        if (strcmp(argv[0], names[k]) != 0)
            continue;
        if (k != TUI_PANEL_EFFECT && !tui_grid_mode(t))
            return iv_error_set(err, "%s: %s is not a transformer: it has no %s",
                                argv[0], t->ws->model->path,
                                k == TUI_PANEL_HEADS ? "attention heads" : "residual stream");
        t->panel = t->panel == (tui_panel)k ? TUI_PANEL_EFFECT : (tui_panel)k;
        if (t->panel != TUI_PANEL_EFFECT)
            t->image_site[0] = '\0';
        return 0;
    }
    return iv_error_set(err, "expected effect, heads or lens, got '%s'", argv[0]);
}

static int cmd_output(tui *t, int argc, char **argv, iv_error *err)
{
    if (argc == 0)
        t->output_big = !t->output_big;
    else if (!strcmp(argv[0], "big") || !strcmp(argv[0], "table"))
        t->output_big = !strcmp(argv[0], "big");
    else
        return iv_error_set(err, "expected big or table, got '%s'", argv[0]);
    return 0;
}

/* With no argument: the site under the cursor as an image, else the input; off when that is the
 * image already shown. */
static int cmd_image(tui *t, int argc, char **argv, iv_error *err)
{
    const iv_model *m = t->ws->model;
    int rows, cols;
    if (argc > 1)
        return iv_error_set(err, "expected one SITE, input or off");
    if (argc == 1 && !strcmp(argv[0], "off")) {
        t->image_site[0] = '\0';
        return 0;
    }
    int site;
    if (argc == 1) {
        site = iv_model_site_find(m, argv[0]);
        if (site < 0)
            return iv_error_set(err, "no site '%s' (input, a layer's NAME or NAME.pre)", argv[0]);
        if (!tui_image_shape(m, site, &rows, &cols))
            return iv_error_set(err, "%s has %d neurons, which is no image (a square number, or "
                                "the input's shape from the model file)", argv[0],
                                iv_model_site_width(m, site));
    } else if (tui_image_shape(m, t->cur_site, &rows, &cols)) {
        site = t->cur_site;
    } else if (tui_image_shape(m, 0, &rows, &cols)) {
        site = 0;
    } else {
        return iv_error_set(err, "neither the site under the cursor nor the input is an image "
                            "(a square number of neurons); try 'image SITE'");
    }
    char name[sizeof t->image_site];
    iv_model_site_name(m, site, name, sizeof name);
    /* No argument toggles the image this key would show: off when it is the one shown. */
    if (argc == 0 && strcmp(name, t->image_site) == 0)
        name[0] = '\0';
    snprintf(t->image_site, sizeof t->image_site, "%s", name);
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

/* One colour scale for every site shown, or each site on its own (the default). */
static int cmd_scale(tui *t, int argc, char **argv, iv_error *err)
{
    if (argc == 0)
        t->shared_scale = !t->shared_scale;
    else if (argc > 1)
        return iv_error_set(err, "expected shared or site, got %d words", argc);
    else if (!strcmp(argv[0], "shared") || !strcmp(argv[0], "site"))
        t->shared_scale = !strcmp(argv[0], "shared");
    else
        return iv_error_set(err, "expected shared or site, got '%s'", argv[0]);
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

/* A lecture's steps, one key forward and one back. Going back replays from the start, so every
 * number is the same as the first time. */
int tui_demo_step(tui *t, int delta)
{
    tui_demo *d = t->demo;
    int target = d->current + delta;
    if (target < 0 || target >= d->n_steps) {
        snprintf(t->message, sizeof t->message, "%s", target < 0 ? "this is the first step"
                                                                  : "that was the last step");
        t->message_is_error = false;
        return 0;
    }
    if (delta < 0) {
        /* Start over from the model and replay every earlier step. */
        char *reset = iv_xasprintf("model \"%s\"; clear", t->model_arg);
        tui_run(t, reset);
        free(reset);
        for (int i = 0; i < target; i++)
            tui_run(t, d->commands[i]);
        tui_popup_free(&t->popup); /* an earlier step's results are not this step's */
    }
    d->current = target;
    int rc = tui_run(t, d->commands[target]);
    /* The echo line shows the step's commands on one line. */
    size_t len = strlen(t->echo);
    while (len && t->echo[len - 1] == '\n')
        t->echo[--len] = '\0';
    for (char *p = t->echo; *p; p++)
        if (*p == '\n')
            *p = ';'; /* shown as one line */
    return rc;
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
    {"panel", "effect|heads|lens", "under the layers: the effect map, every head's pattern in the "
     "cursor's block, or the logit lens (a transformer)", cmd_panel},
    {"cursor", "ADDR|up|down|left|right|next-site|prev-site|next-head|prev-head", "move the cursor",
     cmd_cursor},
    {"select", "ADDR|none", "toggle the selection of neurons", cmd_select},
    {"focus", "[NAME|next]", "the input that + and - step", cmd_focus},
    {"map", "[change|output]", "what the effect map shows over the dataset", cmd_map},
    {"pre", "[on|off]", "show the pre-activation sites (NAME.pre)", cmd_pre},
    {"output", "[big|table]", "the output panel: clean -> intervened in big digits, or the table",
     cmd_output},
    {"image", "[SITE|input|off]", "draw a site (or the input) as an image in the effect panel",
     cmd_image},
    {"demo", "[next|back]", "step the lecture forward or back", cmd_demo},
    {"scale", "[shared|site]", "colour every site on one scale, or each on its own", cmd_scale},
    {"quit", "[!]", "leave (asks first when there are unsaved interventions)", cmd_quit},
    {"failure", "[next|prev|N]", "the N-th failing pair of the last iia as base and source rows",
     tui_cmd_failure},
    {"matrix", "[agree|error]", "the last iia matrix again, coloured by agreement or by error",
     tui_cmd_matrix},
};

const tui_command *tui_commands(int *count)
{
    *count = (int)(sizeof ui_table / sizeof ui_table[0]);
    return ui_table;
}

/* The UI's commands that set the base and source inputs (through the engine's commands), after
 * which the map is redrawn as after the engine's: failure. */
static bool ui_changes_inputs(const tui_command *ui)
{
    return ui->run == tui_cmd_failure;
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
    const tui *t;    /* the screen, for charts; the model, for their axes */
    int results;
    int added;       /* results that report a new intervention (IV_RESULT_ADDED) */
    int prompts;     /* a prompt's tokens (IV_RESULT_PROMPT), which the header shows too */
    char summary[512];
    /* What the popup shows, in order: runs of text, and drawings for the results drawn. */
    tui_popup_part *parts;
    int n_parts;
    size_t text_from; /* where in `text` the text not yet in a part starts */
    bool drawn;       /* a part is a drawing */
    json_object *iia; /* the last iia result of the command being run, for the state to keep */
    json_object *probes; /* the probe results of the line, in order */
    json_object *scans; /* the scan results, to show under their sites once the line has run */
    unsigned long scans_model; /* the model they scanned, by serial */
    uint64_t *scan_states;       /* (scans) tui_scan_fingerprint as each was made */
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
    if (clean && json_object_array_length(clean) == 1)
        iv_buf_printf(&b, ": out %s -> %s%s",
                      json_object_get_string(json_object_array_get_idx(clean, 0)),
                      json_object_get_string(json_object_array_get_idx(iv, 0)),
                      json_object_object_get(out, "samples") ? " (mean over samples)" : "");
    snprintf(buf, n, "%s", b.data);
    iv_buf_free(&b);
}

static tui_popup_part *new_part(collected *c)
{
    c->parts = iv_xrealloc(c->parts, sizeof *c->parts * (size_t)(c->n_parts + 1));
    tui_popup_part *p = &c->parts[c->n_parts++];
    memset(p, 0, sizeof *p);
    return p;
}

/* The text collected since the last part, as a part of its own (without its last newline). */
static void close_text_part(collected *c)
{
    if (c->text.len <= c->text_from)
        return;
    size_t len = c->text.len - c->text_from;
    if (c->text.data[c->text.len - 1] == '\n')
        len--;
    new_part(c)->text = iv_xasprintf("%.*s", (int)len, c->text.data + c->text_from);
    c->text_from = c->text.len;
}

/* A result with a record of epochs (train, das) starts with its chart, the table under it. */
static void record_chart(collected *c, json_object *obj)
{
    if (!json_object_is_type(json_object_object_get(obj, "record"), json_type_array))
        return;
    int room = tui_popup_room(c->t) - 4; /* its title, the x axis's two lines, a blank */
    char *chart = tui_record_chart_text(obj, c->t->cols - 8, room < 14 ? room : 14);
    if (chart) {
        iv_buf_printf(&c->text, "%s\n", chart);
        free(chart);
    }
}

static void collect(iv_result_type type, json_object *obj, void *user)
{
    collected *c = user;
    if (type == IV_RESULT_IIA) {
        json_object_put(c->iia);
        c->iia = json_object_get(obj);
    }
    if (type == IV_RESULT_PROBE) { /* the marks beside the sites, once the line is done */
        if (!c->probes)
            c->probes = json_object_new_array();
        json_object_array_add(c->probes, json_object_get(obj));
    }
    if (type == IV_RESULT_ADDED) {
        summarize_added(obj, c->summary, sizeof c->summary);
        c->added++;
    }
    c->prompts += type == IV_RESULT_PROMPT;
    size_t before = c->text.len;
    char *chart = NULL;
    if (type == IV_RESULT_SWEEP) { /* a sweep reads best as a chart, whole in the popup */
        int room = tui_popup_room(c->t) - 3; /* its legend line and the x axis's two */
        /* a steering sweep of a classifier: the classes' probabilities first, the outputs under
         * them, each in half the room so both are seen at once */
        char *probs = tui_probability_chart_text(obj, c->t->ws->model, c->t->cols - 8,
                                                 (room - 4) / 2 < 21 ? (room - 4) / 2 : 21);
        int h = probs ? (room - 4) / 2 : room;
        chart = tui_chart_text(obj, c->t->ws->model, c->t->cols - 8, h < 32 ? h : 32);
        if (chart && probs) {
            char *both = iv_xasprintf("%s\n%s", probs, chart);
            free(chart);
            chart = both;
        }
        free(probs);
    }
    if (chart) {
        iv_buf_printf(&c->text, "%s", chart);
        free(chart);
    } else {
        record_chart(c, obj);
        ui_render_text(type, obj, &c->text);
    }
    if (type == IV_RESULT_SCAN && json_object_object_get(obj, "scan")) {
        if (c->scans && c->scans_model != c->t->ws->model->serial) { /* the line opened another
                                                                        model */
            json_object_put(c->scans);
            c->scans = NULL;
        }
        if (!c->scans)
            c->scans = json_object_new_array();
        c->scans_model = c->t->ws->model->serial;
        size_t k = json_object_array_length(c->scans);
        c->scan_states = iv_xrealloc(c->scan_states, sizeof *c->scan_states * (k + 1));
        c->scan_states[k] = tui_scan_fingerprint(c->t);
        json_object_array_add(c->scans, json_object_get(obj));
    }
    /* A result that reads better drawn is drawn in the popup, under its table or in its place;
     * `text` keeps it as batch mode prints it either way. */
    bool keep_text = true;
    tui_drawing draw = type == IV_RESULT_SCAN && c->t->scan_sorted
                           ? tui_draw_scan_bars /* `scan ... sorted`: bars under the table */
                           : tui_drawing_for(type, obj, &keep_text);
    if (draw) {
        size_t after = c->text.len;
        c->text.len = keep_text ? after : before; /* the part of text before the drawing */
        close_text_part(c);
        c->text.len = after;
        c->text_from = after;
        tui_popup_part *p = new_part(c);
        p->draw = draw;
        p->result = json_object_get(obj);
        c->drawn = true;
    }
    c->results++;
    json_object_put(obj);
}

static void set_message(tui *t, bool error, const char *text)
{
    snprintf(t->message, sizeof t->message, "%s", text);
    t->message_is_error = error;
}

/* The popup's title: the line that made it, its commands on one line (a lecture step gives
 * several lines). */
static char *popup_title(const char *line)
{
    iv_buf b = {0};
    for (const char *p = line; *p;) {
        size_t len = strcspn(p, "\n");
        if (len)
            iv_buf_printf(&b, "%s%.*s", b.len ? "; " : "", (int)len, p);
        p += len + (p[len] ? 1 : 0);
    }
    return b.data ? b.data : iv_xstrdup("");
}

/* Opens a popup of text, or of parts when some of it is drawn (the parts are taken over). */
static void open_popup_parts(tui *t, const char *title, const char *text, tui_popup_part *parts,
                             int n_parts)
{
    tui_popup_free(&t->popup);
    t->popup.title = popup_title(title);
    t->popup.text = iv_xstrdup(text);
    t->popup.parts = parts;
    t->popup.n_parts = n_parts;
    t->popup.scroll = 0;
}

static void open_popup(tui *t, const char *title, const char *text)
{
    open_popup_parts(t, title, text, NULL, 0);
}

static void free_parts(collected *c)
{
    for (int i = 0; i < c->n_parts; i++) {
        free(c->parts[i].text);
        json_object_put(c->parts[i].result);
    }
    free(c->parts);
    c->parts = NULL;
    c->n_parts = 0;
}

/* Shows what the commands reported: one line in the message line, more in a popup. */
static void show_results(tui *t, const char *line, collected *c)
{
    /* New interventions show in their panel: the message names the last one and its effect (a
     * source prompt set on the way is in the header, so it does not call for a popup). */
    if (c->added && c->added + c->prompts == c->results) {
        set_message(t, false, c->summary);
        return;
    }
    if (!c->text.data || !c->text.len)
        return;
    char *nl = strchr(c->text.data, '\n');
    if (nl == c->text.data + c->text.len - 1 && !c->drawn) {
        *nl = '\0';
        set_message(t, false, c->text.data);
        return;
    }
    if (c->drawn) {
        close_text_part(c);
        open_popup_parts(t, line, c->text.data, c->parts, c->n_parts);
        c->parts = NULL; /* the popup has them */
        c->n_parts = 0;
    } else {
        open_popup(t, line, c->text.data);
    }
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

/* In a lecture the help starts with the step's whole caption, for a screen too small to show it
 * all under the panels. */
static char *help_with_caption(const tui *t)
{
    char *help = tui_help_text();
    if (!t->demo || t->demo->current < 0 || !t->demo->caption[t->demo->current][0])
        return help;
    char *caption = tui_wrap_text(t->demo->caption[t->demo->current], t->cols - 6);
    char *text = iv_xasprintf("Step %d of %d\n%s\n\n%s", t->demo->current + 1, t->demo->n_steps,
                              caption, help);
    free(caption);
    free(help);
    return text;
}

/* ---- running a line ------------------------------------------------------------------------------ */

/* Returns whether the job was cancelled while it ran. */
static bool recompute_effect(tui *t)
{
    iv_effect fresh;
    iv_error err;
    if (iv_workspace_effect(t->ws, &fresh, &err) == 0) {
        iv_effect_free(&t->effect);
        t->effect = fresh;
        t->effect_valid = true;
        t->effect_cancelled = false;
        return false;
    }
    /* Cancelled, the line is undone (tui_run_job), and the map from before it is right again. */
    if (iv_job_cancelled(t->ws->job))
        return true;
    iv_effect_free(&t->effect);
    t->effect_valid = false;
    snprintf(t->effect_error, sizeof t->effect_error, "%s", err.msg);
    return false;
}

/* Runs a UI command, prefixing its errors with its name as iv_command_run does the engine's. */
static int run_ui(tui *t, const tui_command *ui, int argc, char **argv, iv_error *err)
{
    int rc = ui->run(t, argc, argv, err);
    if (rc < 0 && rc != IV_ERROR_AS_IS)
        iv_error_prefix(err, "%s", ui->name);
    return rc < 0 ? -1 : rc;
}

/* `scan` with the explorer's own words: `scan off` drops the scans shown under the sites, and
 * `sorted` (anywhere after the site) draws the result as bars, the largest |value| first. */
static int run_scan(tui *t, int argc, char **argv, const iv_sink *sink, iv_error *err)
{
    if (argc == 2 && strcmp(argv[1], "off") == 0) {
        tui_scans_clear(t);
        return 0;
    }
    char **words = iv_xcalloc((size_t)argc + 1, sizeof *words);
    int n = 0;
    bool sorted = false;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && strcmp(argv[i], "sorted") == 0)
            sorted = true;
        else
            words[n++] = argv[i];
    }
    t->scan_sorted = sorted;
    int rc = iv_command_run(t->ws, n, words, sink, err);
    t->scan_sorted = false;
    free(words);
    return rc;
}

/* Runs one command given as words: a UI command, `help` alone (the help screen), or the engine's.
 * Sets *changed when the command may have changed what is evaluated. */
/* The state keeps the last iia (its failing pairs to browse) and the last iia matrix. */
static void take_iia(tui *t, int argc, char **argv, collected *c)
{
    tui_iia_take(t, argc - 1, argv + 1, c->iia);
    json_object_put(c->iia);
    c->iia = NULL;
}

static int run_words(tui *t, int argc, char **argv, const iv_sink *sink, bool *changed,
                     iv_error *err)
{
    const tui_command *ui = find_ui_command(argv[0]);
    if (ui && ui_changes_inputs(ui))
        *changed = true;
    if (ui)
        return run_ui(t, ui, argc - 1, argv + 1, err);
    if (strcmp(argv[0], "q") == 0)
        return run_ui(t, find_ui_command("quit"), argc - 1, argv + 1, err);
    if (strcmp(argv[0], "help") == 0 && argc == 1) {
        char *text = help_with_caption(t);
        open_popup(t, "help", text);
        free(text);
        return 0;
    }
    if (strcmp(argv[0], "scan") == 0)
        return run_scan(t, argc, argv, sink, err);
    const iv_command *c = iv_command_find(argv[0]);
    if (c && (c->flags & IV_CMD_CHANGES))
        *changed = true;
    int rc = iv_command_run(t->ws, argc, argv, sink, err);
    if (rc == 0 && strcmp(argv[0], "train") == 0)
        t->trainings++; /* new weights in the same model: what was scanned is stale */
    if (rc == 0 && strcmp(argv[0], "iia") == 0)
        take_iia(t, argc, argv, sink->user);
    return rc;
}

/* A command's share of a job's bar: the engine's commands one each, the UI's own none (they take
 * no time), a lecture step one. *changes: it may change what the map shows. */
static double share_of(const char *command, bool *changes)
{
    char name[64];
    size_t len = strcspn(command, " \t");
    snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), command);
    if (strcmp(name, "demo") == 0) {
        *changes = true;
        return 1;
    }
    const tui_command *ui = find_ui_command(name);
    if (ui && ui_changes_inputs(ui))
        *changes = true;
    if (ui || strcmp(name, "q") == 0)
        return 0;
    const iv_command *c = iv_command_find(name);
    if (c && (c->flags & IV_CMD_CHANGES))
        *changes = true;
    return c ? 1 : 0;
}

/* *map_cancelled: the effect map's refresh after the line was cancelled. */
static int run_line(tui *t, const char *text, bool *map_cancelled)
{
    *map_cancelled = false;
    snprintf(t->echo, sizeof t->echo, "%s", text);
    t->message[0] = '\0';
    t->message_is_error = false;
    if (strcmp(text, "quit") && strcmp(text, "q"))
        t->confirm_quit = false;
    /* Models are told apart by serial: a model rebuilt for a prompt of another length may be
     * allocated where the one it replaced was. */
    unsigned long model_before = t->ws->model->serial;
    collected c = {.t = t};
    iv_sink sink = {collect, &c};
    iv_script_command *cmds;
    int n = iv_script_split(text, &cmds), rc = 0;
    /* Each command, and the map's refresh after them, takes its share of the job's bar, so that
     * the bar runs once from 0 to 1 over the whole line. */
    iv_job *job = t->ws->job;
    bool may_change = false;
    double total = 0, done = 0;
    for (int i = 0; i < n; i++)
        total += share_of(cmds[i].text, &may_change);
    double map_share = may_change || (!t->effect_valid && !t->effect_cancelled) ? 1 : 0;
    total += map_share;
    bool changed = false;
    unsigned long iia_model = model_before; /* the model the kept iia results measured */
    for (int i = 0; i < n && rc == 0; i++) {
        bool unused;
        double share = share_of(cmds[i].text, &unused);
        iv_job_range whole = share > 0 ? iv_job_part(job, done / total, (done + share) / total)
                                       : iv_job_part(job, 0, 1);
        done += share;
        char **argv;
        iv_error err;
        int argc = iv_words_split(cmds[i].text, &argv, &err);
        rc = argc < 0 ? -1 : argc == 0 ? 0 : run_words(t, argc, argv, &sink, &changed, &err);
        if (argc >= 0)
            iv_words_free(argv);
        iv_job_restore(job, whole);
        if (rc < 0)
            set_message(t, true, err.msg);
        if (t->ws->model->serial != iia_model) { /* another model: its measurements go, at
                                                    once, so that an iia later in the line is
                                                    kept */
            tui_iia_forget(t);
            iia_model = t->ws->model->serial;
        }
    }
    iv_script_free(cmds, n);
    if (t->ws->model->serial != model_before) {
        tui_model_changed(t);
        tui_scans_clear(t); /* another model's sites */
    }
    if (rc == 0 && c.scans_model == t->ws->model->serial)
        for (size_t i = 0; c.scans && i < json_object_array_length(c.scans); i++)
            tui_scans_take(t, json_object_array_get_idx(c.scans, i), c.scan_states[i]);
    json_object_put(c.scans);
    free(c.scan_states);
    for (size_t i = 0; rc == 0 && c.probes && i < json_object_array_length(c.probes); i++)
        tui_probes_take(t, json_object_array_get_idx(c.probes, i));
    json_object_put(c.probes);
    json_object_put(c.iia);
    if (rc == 0)
        show_results(t, text, &c);
    free_parts(&c);
    iv_buf_free(&c.text);
    /* A map whose refresh was cancelled is not tried again until something changes: it would
     * otherwise start over after every cursor move. */
    bool stale = changed || (!t->effect_valid && !t->effect_cancelled);
    if (stale && !iv_job_cancelled(job)) {
        iv_job_range whole = iv_job_part(job, map_share > 0 ? (total - map_share) / total : 0, 1);
        *map_cancelled = recompute_effect(t);
        iv_job_restore(job, whole);
    }
    return rc;
}

int tui_run(tui *t, const char *text)
{
    if (t->background && !t->in_job)
        return t->background(t, text);
    bool map_cancelled;
    return run_line(t, text, &map_cancelled);
}

/* What was cancelled: the command's own message ("compare: cancelled") when a command stopped,
 * else the line's first command, as the user typed it, whose map was being computed. */
static void cancelled_what(const tui *t, const char *text, int rc, char *buf, size_t n)
{
    if (rc < 0 && t->message[0]) {
        snprintf(buf, n, "%s", t->message);
        return;
    }
    text += strspn(text, " \t");
    size_t len = strcspn(text, " \t;\n");
    if (len == 0) /* the empty line: the explorer's first map */
        snprintf(buf, n, "effect map: cancelled");
    else
        snprintf(buf, n, "%.*s: cancelled", (int)(len < 60 ? len : 60), text);
}

int tui_run_job(tui *t, const char *text, iv_job *job)
{
    iv_workspace *ws = t->ws;
    bool was_in_job = t->in_job;
    t->in_job = true;
    ws->job = job;
    /* The whole line is undone on a cancel, not only the command it stopped in: the user asked
     * for the line not to happen. */
    iv_workspace_state before;
    iv_workspace_save_state(ws, &before);
    bool had_effect = t->effect_valid, map_cancelled;
    int rc = run_line(t, text, &map_cancelled);
    ws->job = NULL;
    t->in_job = was_in_job;
    bool stopped = iv_job_cancelled(job) && (rc < 0 || map_cancelled);
    if (!stopped) {
        iv_workspace_state_free(&before);
        return rc;
    }
    char what[sizeof t->message];
    cancelled_what(t, text, rc, what, sizeof what);
    /* The undo cannot bring back a model or a dataset that a command of the line replaced (the
     * engine frees the old one): the new one stays, without a map. */
    bool undone = ws->model->serial == before.model_serial && ws->data == before.data;
    if (undone) {
        iv_workspace_restore_state(ws, &before);
        snprintf(t->message, sizeof t->message, "%.400s - nothing changed", what);
    } else {
        iv_workspace_state_free(&before);
        iv_effect_free(&t->effect);
        t->effect_valid = false;
        snprintf(t->message, sizeof t->message, "%.400s - the new %s stays; its map was not "
                 "computed", what, ws->model->serial != before.model_serial ? "model" : "dataset");
    }
    /* The map of before, which recompute_effect kept, is right again; without one (the first map
     * was cancelled) it waits for a change. */
    if (!undone || !had_effect) {
        t->effect_cancelled = true;
        snprintf(t->effect_error, sizeof t->effect_error, "cancelled: the map is computed again "
                 "after the next change");
    }
    t->message_is_error = false;
    return -1;
}
