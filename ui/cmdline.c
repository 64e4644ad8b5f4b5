/* cmdline.c - the ':' command line of the full-screen explorer: GNU readline's callback interface,
 * fed with the keys curses reads and drawn into the bottom line of the screen.
 *
 * curses owns the terminal, so readline never reads it, never writes to it and never changes its
 * modes. The main loop hands over each key (tui_cmdline_key); keys that curses decoded (arrows,
 * Home, Backspace, ...) become again the bytes a terminal sends, which readline's keymaps expect,
 * in a small queue that rl_getc_function drains. Readline edits its line buffer and
 * tui_cmdline_draw shows it. So ~/.inputrc, history, incremental search, undo and completion work
 * as in any readline program. Enter runs the line through tui_run; Escape, Ctrl-C and Ctrl-G
 * cancel it. */
#include <ctype.h>
#include <curses.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "history.h"
#include "kinds.h"
#include "tui.h"

#define HISTORY_MAX 1000 /* lines kept in memory and in the history file */
#define CTRL_C 3
#define CTRL_G 7
#define ESCAPE 27

/* Readline is one global state and its callbacks (completion, the list of matches) take no user
 * pointer: this is the explorer they complete against and report to, set by tui_cmdline_init. */
static tui *active;

/* Keys waiting for readline, as the bytes a terminal would have sent. */
static struct {
    unsigned char byte[32];
    int head, len;
} queue;

static bool installed;      /* the line handler is installed: the line is open */
static bool finished;       /* Enter (or Ctrl-D on an empty line) ended the line ... */
static char *finished_line; /* ... with this text (NULL for Ctrl-D), run once readline returns */
static char *history_file;  /* NULL when no history is kept */
static FILE *null_out;      /* readline's output stream: it must never write to the terminal */
static int shown_from;      /* first display column shown of prompt + line; kept between draws so
                               the text does not jump while the cursor moves inside it */

/* What readline had before tui_cmdline_init, put back by tui_cmdline_end. */
static struct {
    rl_getc_func_t *getc;
    rl_hook_func_t *input_available;
    rl_voidfunc_t *redisplay;
    rl_vintfunc_t *prep_term;
    rl_voidfunc_t *deprep_term;
    rl_completion_func_t *complete;
    rl_compdisp_func_t *display_matches;
    const char *word_breaks;
    FILE *out;
} saved;

/* ---- keys to bytes ----------------------------------------------------------------------------- */

static int queue_getc(FILE *stream)
{
    (void)stream;
    /* Not reached while empty: readline reads only after input_pending said there is more. */
    if (queue.head >= queue.len)
        return EOF;
    int c = queue.byte[queue.head++];
    if (queue.head == queue.len)
        queue.head = queue.len = 0;
    return c;
}

static int input_pending(void)
{
    return queue.head < queue.len;
}

static void queue_bytes(const char *bytes, int n)
{
    for (int i = 0; i < n && queue.len < (int)sizeof queue.byte; i++)
        queue.byte[queue.len++] = (unsigned char)bytes[i];
}

/* The bytes a terminal sends for a key curses decoded itself (keypad mode): the sequences
 * readline binds to cursor movement, history and deletion. */
static const char *key_sequence(int key)
{
    switch (key) {
    case KEY_LEFT: return "\033[D";
    case KEY_RIGHT: return "\033[C";
    case KEY_UP: return "\033[A";
    case KEY_DOWN: return "\033[B";
    case KEY_HOME: return "\033[H";
    case KEY_END: return "\033[F";
    case KEY_DC: return "\033[3~";
    case KEY_BACKSPACE: return "\177";
    case KEY_ENTER: return "\r";
    default: return NULL;
    }
}

/* Queues one key; false for keys readline has no use for (function keys, resize, mouse). */
static bool queue_key(int key)
{
    if (key >= 0 && key <= 0xff) { /* a byte as typed, UTF-8 continuation bytes included */
        /* curses (in nl mode) turns Return into '\n'; readline gets the '\r' the terminal sent,
         * which also ends an incremental search and runs the line, as in a shell. */
        char byte = key == '\n' ? '\r' : (char)key;
        queue_bytes(&byte, 1);
        return true;
    }
    const char *seq = key_sequence(key);
    if (seq)
        queue_bytes(seq, (int)strlen(seq));
    return seq != NULL;
}

/* The key that already waits behind an Escape, or ERR. With the main loop's short ESCDELAY, a
 * lone Escape arrives alone, while Alt-b arrives as Escape with 'b' right behind it. */
static int key_waiting(void)
{
    int delay = wgetdelay(stdscr);
    wtimeout(stdscr, 0);
    int key = wgetch(stdscr);
    wtimeout(stdscr, delay);
    return key;
}

/* ---- the line's life: open, run or cancel ------------------------------------------------------- */

static void on_line(char *line)
{
    finished = true;
    finished_line = line;
    /* Removed now so that readline does not start a new line once this handler returns. */
    rl_callback_handler_remove();
    installed = false;
}

static void close_line(tui *t)
{
    if (installed)
        rl_callback_handler_remove();
    installed = false;
    queue.head = queue.len = 0;
    t->cmdline_open = false;
}

/* Drops the line being edited, as readline does itself on SIGINT: its undo list, a half-typed key
 * sequence, an incremental search or a numeric argument. */
static void discard_line(tui *t)
{
    rl_free_line_state();
    rl_callback_sigcleanup();
    rl_replace_line("", 0);
    close_line(t);
}

static void cancel(tui *t)
{
    discard_line(t);
    snprintf(t->message, sizeof t->message, "cancelled");
    t->message_is_error = false;
}

static bool blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

/* Adds a line to the history in memory and at the end of the file. A line equal to the one before
 * is kept once, so Up does not walk through repeats. Failing to write the file only loses history;
 * it is not worth an error message on every command. */
static void remember(const char *line)
{
    HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
    if (last && strcmp(last->line, line) == 0)
        return;
    add_history(line);
    ui_history_append(history_file, line, HISTORY_MAX);
}

/* Runs the line Enter gave, outside readline's callback so that tui_run may do anything, even open
 * the command line again. */
static void run_finished(tui *t)
{
    char *line = finished_line;
    finished = false;
    finished_line = NULL;
    close_line(t);
    if (line && !blank(line)) {
        remember(line);
        tui_run(t, line);
    }
    free(line);
}

/* Lets readline read the queued bytes; it takes at least one per call. */
static void feed(tui *t)
{
    while (installed && input_pending())
        rl_callback_read_char();
    queue.head = queue.len = 0;
    if (finished)
        run_finished(t);
}

/* In vi mode Escape leaves insert mode, as a vi user expects; it cancels from command mode. */
static bool vi_inserting(void)
{
    return rl_editing_mode == 0 && rl_get_keymap() == vi_insertion_keymap;
}

/* A lone Escape cancels. Readline sees it only with keys right behind it, taken along here: an Alt
 * chord (Alt-b arrives as Escape, then b) or a sequence curses did not decode, which readline may
 * know. And in vi insert mode, where Escape leaves for command mode. */
static void escape(tui *t)
{
    queue_bytes("\033", 1);
    int next;
    while (queue.len + 4 < (int)sizeof queue.byte && (next = key_waiting()) != ERR)
        if (!queue_key(next)) {
            ungetch(next); /* a mouse event or a resize: the main loop gets it back */
            break;
        }
    if (queue.len == 1 && !vi_inserting())
        cancel(t);
    else
        feed(t);
}

void tui_cmdline_key(tui *t, int key)
{
    if (!installed) {
        t->cmdline_open = false;
        return;
    }
    if (key == CTRL_C || key == CTRL_G)
        cancel(t);
    else if (key == ESCAPE)
        escape(t);
    else if (queue_key(key))
        feed(t);
}

void tui_cmdline_open(tui *t, const char *prefill)
{
    if (installed)
        discard_line(t);
    queue.head = queue.len = 0;
    shown_from = 0;
    rl_callback_handler_install(":", on_line);
    installed = true;
    t->cmdline_open = true;
    if (prefill && *prefill)
        rl_insert_text(prefill);
}

/* ---- completion --------------------------------------------------------------------------------- */

static const char *const data_kinds[] = {"grid", "sample", "load", "none", NULL};

/* The candidates of one completion, matched by prefix in next_candidate. */
static struct {
    char **item;
    int n, cap;
} cands;

static void cands_clear(void)
{
    for (int i = 0; i < cands.n; i++)
        free(cands.item[i]);
    cands.n = 0;
}

static void cands_add(char *owned)
{
    if (cands.n == cands.cap) {
        cands.cap = cands.cap ? 2 * cands.cap : 64;
        cands.item = iv_xrealloc(cands.item, sizeof(char *) * (size_t)cands.cap);
    }
    cands.item[cands.n++] = owned;
}

static void cands_add_list(const char *const *list)
{
    for (; *list; list++)
        cands_add(iv_xstrdup(*list));
}

static char *next_candidate(const char *text, int state)
{
    static int i;
    static size_t len;
    if (state == 0) {
        i = 0;
        len = strlen(text);
    }
    while (i < cands.n) {
        const char *c = cands.item[i++];
        if (strncmp(c, text, len) == 0)
            return iv_xstrdup(c); /* readline frees it */
    }
    return NULL;
}

/* After ablate ADDR: the kinds, from their table. */
static void add_kind_names(void)
{
    int n;
    const iv_kind_info *kinds = iv_kinds(&n);
    for (int i = 0; i < n; i++)
        cands_add(iv_xstrdup(kinds[i].name));
}

/* After the kind: what its entry offers (KEY= options), or nothing for a kind that takes none. */
static void add_kind_options(const char *kind_name)
{
    const iv_kind_info *kind = iv_kind_find(kind_name);
    if (kind && kind->completions)
        cands_add_list(kind->completions);
}

static void add_command_names(void)
{
    int n;
    const iv_command *engine = iv_commands(&n);
    for (int i = 0; i < n; i++)
        cands_add(iv_xstrdup(engine[i].name));
    const tui_command *ui = tui_commands(&n);
    for (int i = 0; i < n; i++)
        cands_add(iv_xstrdup(ui[i].name));
}

static void add_site_names(const iv_model *m)
{
    for (int s = 0; s < iv_model_site_count(m); s++) {
        char name[128];
        iv_model_site_name(m, s, name, sizeof name);
        cands_add(iv_xstrdup(name));
    }
}

/* Neuron addresses of the site before the '[': by label in quotes, h1["x-y"], or by index where
 * a neuron has no label. */
static void add_addresses(const iv_model *m, const char *site_name)
{
    int site = iv_model_site_find(m, site_name);
    if (site < 0)
        return;
    for (int i = 0; i < iv_model_site_width(m, site); i++) {
        const char *label = iv_model_neuron_label(m, site, i);
        cands_add(label ? iv_xasprintf("%s[\"%s\"]", site_name, label)
                        : iv_xasprintf("%s[%d]", site_name, i));
    }
}

/* The words of the command being typed (from the last ';') that come before position `end`, as
 * iv_words_split separates them: blanks inside quotes or brackets do not separate. Copies the
 * first `max` words (truncated) and returns how many words there are. */
static int words_before(const char *line, int end, char words[][32], int max)
{
    int n = 0, len = 0, depth = 0;
    bool quoted = false, in_word = false;
    for (int i = 0; i < end; i++) {
        char c = line[i];
        if (!quoted && depth == 0 && (c == ';' || c == ' ' || c == '\t')) {
            n = c == ';' ? 0 : n + in_word;
            in_word = false;
            continue;
        }
        if (!in_word)
            len = 0;
        in_word = true;
        if (c == '"')
            quoted = !quoted;
        else if (!quoted && c == '[')
            depth++;
        else if (!quoted && c == ']' && depth > 0)
            depth--;
        if (n < max && len < 31) {
            words[n][len++] = c;
            words[n][len] = '\0';
        }
    }
    return n; /* a word cut at `end` (a blank inside quotes) is the one being completed */
}

/* Whether the word being completed is a file name: model FILE, load FILE, save FILE,
 * data load FILE. */
static bool wants_file(int index, char words[][32])
{
    if (index == 1)
        return !strcmp(words[0], "model") || !strcmp(words[0], "load") ||
               !strcmp(words[0], "save");
    return index == 2 && !strcmp(words[0], "data") && !strcmp(words[1], "load");
}

/* Completes a word with a '['. A bare label is accepted as typed (input[x) and completed to the
 * quoted form, which is what the candidates hold. */
static char **complete_address(const char *text)
{
    const char *bracket = strchr(text, '[');
    char *site = iv_xasprintf("%.*s", (int)(bracket - text), text);
    add_addresses(active->ws->model, site);
    const char *inside = bracket + 1;
    char *prefix = *inside && *inside != '"' && !isdigit((unsigned char)*inside)
                       ? iv_xasprintf("%s[\"%s", site, inside)
                       : iv_xstrdup(text);
    char **matches = rl_completion_matches(prefix, next_candidate);
    free(prefix);
    free(site);
    return matches;
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1; /* never fall back to file names on readline's own */
    char words[3][32] = {"", "", ""};
    int index = words_before(rl_line_buffer, start, words, 3);
    if (wants_file(index, words))
        return rl_completion_matches(text, rl_filename_completion_function);
    cands_clear();
    if (!active)
        return NULL;
    if (index == 0)
        add_command_names();
    else if (index == 2 && !strcmp(words[0], "ablate"))
        add_kind_names();
    else if (index >= 3 && !strcmp(words[0], "ablate")) {
        add_kind_options(words[2]);
        char **matches = rl_completion_matches(text, next_candidate);
        /* A lone KEY= match waits for its value: no blank after it. */
        if (matches && !matches[1] && *matches[0] && matches[0][strlen(matches[0]) - 1] == '=')
            rl_completion_suppress_append = 1;
        return matches;
    }
    else if (index == 1 && !strcmp(words[0], "data"))
        cands_add_list(data_kinds);
    else if (strchr(text, '['))
        return complete_address(text);
    else
        add_site_names(active->ws->model);
    return rl_completion_matches(text, next_candidate);
}

/* The part of a match worth listing: a file name without its directory. */
static const char *shown_part(const char *match)
{
    if (!rl_filename_completion_desired)
        return match;
    size_t len = strlen(match);
    const char *slash = len > 1 ? memrchr(match, '/', len - 1) : NULL;
    return slash ? slash + 1 : match;
}

/* Readline would print the list of matches below the line; the message line shows it instead. */
static void show_matches(char **matches, int n, int max_len)
{
    (void)max_len;
    if (!active)
        return;
    char *msg = active->message;
    size_t size = sizeof active->message, used = 0;
    for (int i = 1; i <= n && used < size; i++) {
        const char *m = shown_part(matches[i]);
        if (used + strlen(m) + 5 >= size) {
            snprintf(msg + used, size - used, "%s...", used ? " " : "");
            break;
        }
        used += (size_t)snprintf(msg + used, size - used, "%s%s", used ? " " : "", m);
    }
    active->message_is_error = false;
}

/* ---- drawing ------------------------------------------------------------------------------------ */

/* One character as the line shows it. */
typedef struct glyph {
    size_t bytes;  /* taken from the text */
    int width;     /* display columns */
    char shown[8]; /* what is drawn: the character, ^X for a control, ? for a bad byte */
} glyph;

static glyph next_glyph(const char *s, size_t n, mbstate_t *st)
{
    glyph g = {1, 1, "?"};
    wchar_t wc;
    size_t k = mbrtowc(&wc, s, n, st);
    if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
        memset(st, 0, sizeof *st); /* resynchronise after a bad or cut sequence */
        return g;
    }
    int w = wcwidth(wc);
    g.bytes = k;
    if (w >= 0 && k < sizeof g.shown) {
        memcpy(g.shown, s, k);
        g.shown[k] = '\0';
        g.width = w;
    } else if (k == 1 && ((unsigned char)*s < 0x20 || *s == 0x7f)) { /* as readline shows it */
        snprintf(g.shown, sizeof g.shown, "^%c", *s == 0x7f ? '?' : *s + '@');
        g.width = 2;
    }
    return g;
}

/* Display columns of the first n bytes of s: where the cursor goes, since rl_point counts bytes
 * and a character may take zero, one or two columns. */
static int text_width(const char *s, size_t n)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    int width = 0;
    while (n > 0) {
        glyph g = next_glyph(s, n, &st);
        width += g.width;
        s += g.bytes;
        n -= g.bytes;
    }
    return width;
}

/* Draws s from display column *col of the whole line (prompt included), clipped to the columns
 * [shown_from, shown_from + r->w) that fit the rectangle. */
static void put_text(const tui_rect *r, const char *s, int *col)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t n = strlen(s);
    while (n > 0) {
        glyph g = next_glyph(s, n, &st);
        int x = *col - shown_from;
        if (x >= 0 && x + g.width <= r->w)
            mvaddstr(r->y, r->x + x, g.shown); /* a wide glyph cut by an edge stays blank */
        *col += g.width;
        s += g.bytes;
        n -= g.bytes;
    }
}

/* Scrolls by half the width when the cursor would leave the line, so that the text moves seldom
 * and the cursor keeps some context on both sides. */
static void follow_cursor(int cursor, int total, int w)
{
    if (total < w)
        shown_from = 0;
    else if (cursor < shown_from || cursor >= shown_from + w)
        shown_from = cursor - w / 2 > 0 ? cursor - w / 2 : 0;
}

void tui_cmdline_draw(const tui *t, const tui_layout *lay)
{
    const tui_rect *r = &lay->cmdline;
    if (!t->cmdline_open || !installed || r->w <= 0 || r->h <= 0) {
        curs_set(0);
        return;
    }
    /* rl_display_prompt rather than ":": incremental search and numeric arguments replace it. */
    const char *prompt = rl_display_prompt ? rl_display_prompt : ":";
    int prompt_w = text_width(prompt, strlen(prompt));
    int cursor = prompt_w + text_width(rl_line_buffer, (size_t)rl_point);
    follow_cursor(cursor, prompt_w + text_width(rl_line_buffer, (size_t)rl_end), r->w);
    attrset(A_NORMAL);
    mvhline(r->y, r->x, ' ', r->w);
    int col = 0;
    put_text(r, prompt, &col);
    put_text(r, rl_line_buffer, &col);
    move(r->y, r->x + cursor - shown_from);
    curs_set(1);
}

/* ---- setting up and tearing down ---------------------------------------------------------------- */

/* Readline's display and terminal set-up are curses' business: these do nothing. The main loop
 * redraws after every key it hands over, so a redisplay request needs no record either. */
static void no_redisplay(void) {}
static void keep_terminal_modes(int meta) { (void)meta; }
static void keep_terminal(void) {}

/* Readline finds Delete through the terminal description, which it does not read when the
 * application draws, so the usual sequence is bound here; Home and End as VT220-style terminals
 * send them reach readline undecoded when TERM names another terminal (xterm inside tmux). Each
 * only where ~/.inputrc left the sequence unbound. */
static void bind_default_keys(void)
{
    static const struct {
        const char *seq;
        rl_command_func_t *fn;
    } keys[] = {{"\033[3~", rl_delete}, {"\033[1~", rl_beg_of_line}, {"\033[4~", rl_end_of_line}};
    Keymap maps[] = {emacs_standard_keymap, vi_insertion_keymap};
    for (size_t m = 0; m < sizeof maps / sizeof maps[0]; m++)
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            rl_bind_keyseq_if_unbound_in_map(keys[k].seq, keys[k].fn, maps[m]);
}

static void save_readline(void)
{
    saved.getc = rl_getc_function;
    saved.input_available = rl_input_available_hook;
    saved.redisplay = rl_redisplay_function;
    saved.prep_term = rl_prep_term_function;
    saved.deprep_term = rl_deprep_term_function;
    saved.complete = rl_attempted_completion_function;
    saved.display_matches = rl_completion_display_matches_hook;
    saved.word_breaks = rl_completer_word_break_characters;
    saved.out = rl_outstream;
}

static void restore_readline(void)
{
    rl_getc_function = saved.getc;
    rl_input_available_hook = saved.input_available;
    rl_redisplay_function = saved.redisplay;
    rl_prep_term_function = saved.prep_term;
    rl_deprep_term_function = saved.deprep_term;
    rl_attempted_completion_function = saved.complete;
    rl_completion_display_matches_hook = saved.display_matches;
    rl_completer_word_break_characters = saved.word_breaks;
    rl_outstream = saved.out;
}

void tui_cmdline_init(tui *t)
{
    active = t;
    save_readline();
    rl_readline_name = "intervene"; /* for $if intervene in ~/.inputrc */
    rl_catch_signals = 0;           /* the main loop handles signals ... */
    rl_catch_sigwinch = 0;          /* ... and resizes, which curses reports as KEY_RESIZE */
    rl_change_environment = 0;      /* readline must not export LINES and COLUMNS */
    rl_getc_function = queue_getc;
    rl_input_available_hook = input_pending;
    rl_redisplay_function = no_redisplay;
    rl_prep_term_function = keep_terminal_modes;
    rl_deprep_term_function = keep_terminal;
    /* Readline still writes in places (a single match, cursor moves before listing matches). */
    null_out = fopen("/dev/null", "w");
    if (null_out)
        rl_outstream = null_out;
    rl_attempted_completion_function = complete;
    rl_completion_display_matches_hook = show_matches;
    rl_completer_word_break_characters = " \t;"; /* words as the command language splits them */

    history_file = ui_history_path();
    using_history();
    stifle_history(HISTORY_MAX);
    if (history_file)
        read_history(history_file);
    rl_initialize(); /* reads ~/.inputrc now, so that bind_default_keys respects it */
    bind_default_keys();
}

void tui_cmdline_end(void)
{
    if (installed)
        rl_callback_handler_remove();
    installed = false;
    finished = false;
    free(finished_line);
    finished_line = NULL;
    queue.head = queue.len = 0;
    cands_clear();
    free(cands.item);
    cands.item = NULL;
    cands.cap = 0;
    clear_history();
    free(history_file);
    history_file = NULL;
    restore_readline();
    if (null_out)
        fclose(null_out);
    null_out = NULL;
    active = NULL;
}
