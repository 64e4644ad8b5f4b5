/* keys.c - a key press: the command text its row of the key table (key_table.c) issues, with the
 * placeholders filled in from the state, run as if typed at the ':' line; the few keys the table
 * leaves to code (=, :, Ctrl-L, the popup's scrolling) are handled here. */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static const tui_key *find_key(int key)
{
    int n;
    const tui_key *table = tui_keys(&n);
    for (int i = 0; i < n; i++)
        if (table[i].key == key)
            return &table[i];
    return NULL;
}

/* Cursor moves and selection are not echoed: they would bury the commands worth learning. */
static bool is_quiet(const char *command)
{
    return strncmp(command, "cursor ", 7) == 0 || strncmp(command, "select ", 7) == 0;
}

/* The step of an input: its grid step when the dataset is a grid, else 1. */
static double input_step(const tui *t, int input)
{
    const iv_dataset *ds = t->ws->data;
    if (ds && ds->is_grid && ds->grid_count[input] > 1)
        return ds->grid_step[input];
    return 1;
}

static char *expand_step(const tui *t, double sign)
{
    int i = t->focus_input;
    char v[32];
    iv_format_number(v, sizeof v, t->ws->base[i] + sign * input_step(t, i));
    return iv_xasprintf("input %s=%s", t->ws->model->input_names[i], v);
}

/* Replaces the placeholders of a key's command text; NULL when the key does not apply now. */
static char *expand(const tui *t, const char *command)
{
    if (strcmp(command, "{up}") == 0 || strcmp(command, "{down}") == 0)
        return expand_step(t, command[1] == 'u' ? 1 : -1);
    const char *brace = strchr(command, '{');
    if (!brace)
        return iv_xstrdup(command);
    const char *close = strchr(brace, '}');
    char *value = NULL;
    if (!strncmp(brace, "{addr}", 6)) {
        value = tui_target_address(t);
    } else if (!strncmp(brace, "{cur}", 5)) {
        char site[128];
        iv_model_site_name(t->ws->model, t->cur_site, site, sizeof site);
        value = iv_xasprintf("%s[%d]", site, t->cur_neuron);
    } else if (!strncmp(brace, "{id}", 4)) {
        int id = tui_intervention_at(t, t->cur_site, t->cur_neuron);
        if (!id)
            return NULL;
        value = iv_xasprintf("%d", id);
    } else if (!strncmp(brace, "{layer}", 7)) {
        int layer = iv_model_site_layer(t->ws->model, t->cur_site);
        if (layer < 0)
            return NULL; /* the input is not a layer */
        value = iv_xstrdup(iv_model_layer_name(t->ws->model, layer));
    } else if (!strncmp(brace, "{sel-or-site}", 13)) {
        /* the selection, else every neuron of the cursor's site: a layer is what one compares */
        char site[128];
        iv_model_site_name(t->ws->model, t->cur_site, site, sizeof site);
        value = tui_selection_count(t, t->cur_site) ? tui_target_address(t) : iv_xstrdup(site);
    } else if (!strncmp(brace, "{head}", 6) || !strncmp(brace, "{pos}", 5)) {
        value = tui_grid_mode(t) ? tui_grid_target(t, brace[1] == 'h') : NULL;
        if (!value)
            return NULL;
    } else if (!strncmp(brace, "{last}", 6)) {
        if (t->ws->count == 0)
            return NULL;
        value = iv_xasprintf("%d", t->ws->list[t->ws->count - 1].id);
    }
    char *text = iv_xasprintf("%.*s%s%s", (int)(brace - command), command, value ? value : "",
                              close ? close + 1 : "");
    free(value);
    return text;
}

char *tui_key_command(const tui *t, int key)
{
    const tui_key *k = find_key(key);
    return k && k->command ? expand(t, k->command) : NULL;
}

/* Whether a command changes the interventions (ablate, set, patch): those use the selection up;
 * a look at it (compare, sweep) leaves it for the next key. */
static bool adds_intervention(const char *command)
{
    char name[32];
    size_t n = strcspn(command, " ");
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), command);
    const iv_command *c = iv_command_find(name);
    return c && (c->flags & IV_CMD_CHANGES);
}

/* Runs a cursor or selection command without disturbing the echoed command and its message. */
static void run_quietly(tui *t, const char *command)
{
    char echo[sizeof t->echo], message[sizeof t->message];
    bool was_error = t->message_is_error;
    memcpy(echo, t->echo, sizeof echo);
    memcpy(message, t->message, sizeof message);
    if (tui_run(t, command) == 0) {
        memcpy(t->echo, echo, sizeof echo);
        memcpy(t->message, message, sizeof message);
        t->message_is_error = was_error;
    }
}

void tui_click(tui *t, int site, int neuron)
{
    char name[128];
    iv_model_site_name(t->ws->model, site, name, sizeof name);
    char *command = iv_xasprintf("cursor %s[%d]; select %s[%d]", name, neuron, name, neuron);
    run_quietly(t, command);
    free(command);
}

static void open_set_line(tui *t)
{
    char *addr = tui_target_address(t);
    char *prefill = iv_xasprintf("set %s ", addr);
    tui_cmdline_open(t, prefill);
    free(addr);
    free(prefill);
}

void tui_key_press(tui *t, int key)
{
    /* A popup (results, help) takes Up/Down to scroll and any other key to close. */
    if (t->popup.text) {
        if (t->popup.text && (key == KEY_DOWN || key == 'j' || key == KEY_NPAGE)) {
            t->popup.scroll += key == KEY_NPAGE ? 10 : 1;
            if (t->popup.scroll > tui_popup_max_scroll(t))
                t->popup.scroll = tui_popup_max_scroll(t);
            return;
        }
        if (t->popup.text && (key == KEY_UP || key == 'k' || key == KEY_PPAGE)) {
            t->popup.scroll -= key == KEY_PPAGE ? 10 : 1;
            if (t->popup.scroll < 0)
                t->popup.scroll = 0;
            return;
        }
        free(t->popup.text);
        t->popup.text = NULL;
        /* In a lecture, ] and [ also step on: the popup was that step's result. ':' opens the
         * command line too: swallowed, the command typed after it would run as keys (s swaps,
         * c clears). */
        if (!(t->demo && (key == ']' || key == '[')) && key != ':')
            return;
    }
    if (key == ':') {
        tui_cmdline_open(t, "");
        return;
    }
    if (key == '=') {
        open_set_line(t);
        return;
    }
    const tui_key *k = find_key(key);
    if (!k || !k->command)
        return;
    char *command = expand(t, k->command);
    if (!command) {
        snprintf(t->message, sizeof t->message, "%s",
                 key == 't'   ? "no intervention acts on the neuron under the cursor"
                 : key == 'a' ? "the site under the cursor has no heads"
                 : key == 'x' ? "the site under the cursor has no positions"
                              : "there is no intervention to drop");
        t->message_is_error = true;
        return;
    }
    if (is_quiet(command)) {
        run_quietly(t, command);
    } else if (tui_run(t, command) == 0 && strstr(k->command, "{addr}") &&
               adds_intervention(command)) {
        tui_clear_selection(t); /* the next intervention starts a new selection */
    }
    free(command);
}
