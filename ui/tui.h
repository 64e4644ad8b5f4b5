/* tui.h - the full-screen explorer: application state, layout, and the pieces that draw it.
 *
 * UI = state -> controller -> view. Keys and ':' lines become command text (keys.c); the text runs
 * through the UI's own few commands (cursor, selection, view) or the engine's command table, which
 * changes the one application state below; then every panel is drawn again from that state,
 * read-only. Only the view files call curses' drawing functions. */
#ifndef IV_TUI_H
#define IV_TUI_H

#include <stdbool.h>

#include "commands.h"
#include "effect.h"
#include "logit_lens.h"

typedef enum {
    TUI_VIEW_INTERVENED, /* values under the interventions (mean over samples when random) */
    TUI_VIEW_CLEAN,      /* values with no intervention */
    TUI_VIEW_DIFF,       /* intervened - clean */
    TUI_VIEW_SOURCE,     /* the base run beside the source run */
    TUI_VIEW_COUNT
} tui_view;

typedef enum { TUI_COLOUR_NONE, TUI_COLOUR_8, TUI_COLOUR_256 } tui_colour_mode;

/* What the panel under the layers shows: the effect map, or for a transformer every head's
 * pattern in the cursor's block, or the logit lens (view_heads.c). */
typedef enum { TUI_PANEL_EFFECT, TUI_PANEL_HEADS, TUI_PANEL_LENS } tui_panel;
struct tui_lens_cache;

/* A drawing in a popup (view_charts.c): draws a result's JSON onto a canvas, which measures it too. */
struct tui_canvas;
typedef void (*tui_drawing)(struct tui_canvas *cv, json_object *result);

/* One part of a popup, in order: lines of text, or a result drawn (a map, a chart). */
typedef struct tui_popup_part {
    char *text;           /* lines separated by '\n'; NULL for a drawing */
    json_object *result;  /* what the drawing draws (owned) */
    tui_drawing draw;
} tui_popup_part;

/* What a panel holds when a result is too long for the message line (help, list, show, ...). */
typedef struct tui_popup {
    char *title;
    char *text;    /* every result as text, as batch mode prints it; NULL when no popup is open */
    int scroll;    /* first line shown */
    tui_popup_part *parts; /* what the explorer shows; none: the text */
    int n_parts;
} tui_popup;

/* The last scan of a site, shown as a line of cells under the site's row (scan_rows.c). */
typedef struct tui_scan {
    int site;
    int width;          /* the site's */
    double *value;      /* (width) each neuron's figure; NAN where the scan had no row for it */
    double whole;       /* the site patched (zeroed, ...) whole; NAN when it has no such row */
    char what[96];      /* what was scanned: "patch, output change" */
    uint64_t state;     /* tui_scan_fingerprint when it ran: another one makes it stale */
} tui_scan;

/* A lecture: steps of commands, each with a caption, walked with one key forward and one back. */
typedef struct tui_demo {
    char *path;
    int n_steps;
    char **caption;  /* (n_steps) the step's 'say' lines, joined by '\n' */
    char **commands; /* (n_steps) the step's other lines, as one script */
    int current;     /* steps 0..current have run; -1 before the first */
} tui_demo;

typedef struct tui {
    iv_workspace *ws;
    char *model_arg;          /* the model as given on the command line, to restart a demo */

    /* where the user is looking */
    int cur_site;             /* a site index of ws->model */
    int cur_neuron;
    bool *selected;           /* (total neurons over all sites) see tui_selected() */
    int *site_offset;         /* (n_sites + 1) start of each site in `selected` */
    bool show_pre;            /* show the NAME.pre sites too */
    tui_view view;
    int focus_input;          /* the input that '+' and '-' step */

    /* feedback */
    char echo[512];           /* the last command run, as typed or as a key issued it */
    char message[512];        /* its result in one line, or its error */
    bool message_is_error;
    tui_popup popup;          /* results too long for the message line, or the help */
    bool confirm_quit;        /* 'q' with unsaved interventions asks first */
    bool quit;

    /* the effect over the dataset, recomputed after every change */
    iv_effect effect;
    bool effect_valid;
    bool effect_cancelled;    /* its refresh was cancelled: it waits for the next change, rather
                                 than starting again after every key */
    bool map_output;          /* the map shows the intervened output instead of its change */
    bool output_big;          /* the output panel shows clean -> intervened in big digits */
    tui_panel panel;
    struct tui_lens_cache *lens; /* the logit lens of the last evaluation (view_heads.c) */
    char image_site[128];     /* the site drawn as an image in place of the effect panel, by
                                 name (it outlives a change of model); "" for none */
    char effect_error[512];

    /* Long work: set by the event loop, tui_run hands each line to `background` (tui.c), which
     * runs it as a job on a worker thread while the screen shows its progress. NULL (the tests):
     * lines run at once. */
    int (*background)(struct tui *t, const char *text);
    bool in_job;              /* a line is running as a job: tui_run within it runs at once */

    /* the ':' command line (cmdline.c) */
    bool cmdline_open;

    /* scans shown under their sites (scan_rows.c): the last one of each site, until `scan off` or
     * a new model; stale once the inputs, interventions, dataset, metric or weights change */
    tui_scan *scans;          /* (n_scans) */
    int n_scans;
    long trainings;           /* successful `train` runs: they change the weights in place */
    bool scan_sorted;         /* the line being run asked for `scan ... sorted` (bars) */

    /* the last `iia` and `iia matrix` (iia_browse.c): the failing pairs to browse and the matrix
     * to show again, each with the dataset it was measured on (a new one leaves them behind) */
    json_object *iia;         /* the last iia result, or NULL */
    char *iia_args;           /* its options as typed (failures=N left out), to list more */
    long iia_failure;         /* the failing pair shown last, from 1; 0 for none */
    const iv_dataset *iia_data;
    json_object *iia_matrix;  /* the last iia matrix result, or NULL */
    const iv_dataset *iia_matrix_data;
    bool iia_matrix_error;    /* the matrix is coloured by the error, not by agreement */

    /* the last probes' held-out accuracy at each site they were fitted at (probe_marks.c), beside
     * the site's row; NULL arrays for none, -1 for a site not probed */
    double *probe_holdout, *probe_majority;
    char probe_label[64];

    tui_demo *demo;           /* NULL outside lecture mode */
    tui_colour_mode colour;
    bool shared_scale;        /* one colour scale for every site shown, not one per site row */
    int rows, cols;           /* terminal size */
} tui;

/* ---- state (tui_state.c) ----------------------------------------------------------------------- */

/* Builds the state over a workspace (which it does not own). */
void tui_init(tui *t, iv_workspace *ws);
void tui_free(tui *t);
/* Re-derives what depends on the model (selection arrays, cursor bounds) after it changed. */
void tui_model_changed(tui *t);
bool tui_selected(const tui *t, int site, int neuron);
int tui_selection_count(const tui *t, int site);
void tui_clear_selection(tui *t);
/* The neuron address keys act on: the selection at the cursor's site, else the cursor neuron.
 * Caller frees. */
char *tui_target_address(const tui *t);
/* The sites shown, input to output (pre-activation sites only with show_pre). Returns count. */
int tui_visible_sites(const tui *t, int *sites, int max);
/* The value a cell shows in the current view (for TUI_VIEW_SOURCE: the base's intervened value). */
double tui_cell_value(const tui *t, int site, int neuron);
/* The colour scale of a site's cells (its base run, or with `source` its source run): the largest
 * magnitude the site shows, or with shared_scale the largest over every site shown. */
double tui_site_scale(const tui *t, int site, bool source);
/* Whether the intervened value differs from the clean one (marked in every view). */
bool tui_cell_changed(const tui *t, int site, int neuron);
/* The image shape of a site: rows and columns whose product is its width (the input's shape as
 * the model file gives it, else a square). Returns false when it has none. */
bool tui_image_shape(const iv_model *m, int site, int *rows, int *cols);
/* The id of the last enabled-or-not intervention acting on a neuron, or 0. */
int tui_intervention_at(const tui *t, int site, int neuron);
/* Frees what the popup holds (text, parts, title) and closes it. */
void tui_popup_free(tui_popup *p);

/* ---- commands (tui_commands.c) ------------------------------------------------------------------ */

/* Runs one line of command text as the user would type it (several commands separated by ';'):
 * UI commands first (view, cursor, select, focus, pre, quit, ...), then the engine's. Sets echo
 * and message, recomputes the effect. Returns 0 or -1; the session survives every error. */
int tui_run(tui *t, const char *text);
/* Runs a line as tui_run does, as the job `job`: ws->job is set while it runs, and when the job is
 * cancelled part way the whole line is undone - the session put back as it was before it and the
 * effect map kept as it was - and the message says so ("compare: cancelled - nothing changed").
 * The worker thread of the event loop calls it; it touches no curses. */
int tui_run_job(tui *t, const char *text, iv_job *job);
/* The UI's own commands, for help and completion: name, usage, summary. */
typedef struct tui_command {
    const char *name, *usage, *summary;
    /* Fails as the engine's handlers do: -1 gets "NAME: " put before its message by tui_run,
     * IV_ERROR_AS_IS (commands.h) is shown as it is. */
    int (*run)(tui *t, int argc, char **argv, iv_error *err);
} tui_command;
const tui_command *tui_commands(int *count);
/* The help: keys, then both command tables (generated, so it cannot drift). Caller frees. */
char *tui_help_text(void);

/* ---- keys (key_table.c, keys.c) -------------------------------------------------------------- */

typedef struct tui_key {
    int key;              /* curses key code or character */
    const char *label;    /* as shown in help: "z", "Left h", "Space" */
    const char *command;  /* command text; "{addr}" stands for tui_target_address, "{id}" for the
                             intervention under the cursor; NULL for keys handled in keys.c */
    const char *help;
} tui_key;
const tui_key *tui_keys(int *count);
/* Handles one key press in the main view (not while the command line is open). */
void tui_key_press(tui *t, int key);
/* A mouse click on a neuron's cell: the cursor moves there and the cell's selection toggles. */
void tui_click(tui *t, int site, int neuron);
/* The command text a key issues in the current state, or NULL (for tests and help). */
char *tui_key_command(const tui *t, int key);

/* ---- scans under their sites (scan_rows.c) ------------------------------------------------------ */

/* Keeps a scan result's rows (IV_RESULT_SCAN from `scan`; attribute's are not kept) as the last
 * scan of each site it covers; state is tui_scan_fingerprint when it was made. */
void tui_scans_take(tui *t, json_object *result, uint64_t state);
void tui_scans_clear(tui *t);
/* The scan shown under a site, or NULL. */
const tui_scan *tui_scan_of(const tui *t, int site);
/* What a scan's figures depend on besides the model: the inputs, the dataset, the metric, the
 * interventions on, the weights. */
uint64_t tui_scan_fingerprint(const tui *t);
bool tui_scan_stale(const tui *t, const tui_scan *s);
/* The scan's colour scale: its neurons' largest |figure|, 1 when all are 0. */
double tui_scan_scale(const tui_scan *s);
/* A scan result as horizontal bars, the largest |value| first (view_scan_bars.c). */
void tui_draw_scan_bars(struct tui_canvas *cv, json_object *result);

/* ---- IIA (iia_browse.c, view_iia.c) ------------------------------------------------------------ */

/* Keeps an iia result (argc, argv: its options) as the last one, or an iia matrix as the last
 * matrix; tui_iia_forget drops both (a new model, the end). */
void tui_iia_take(tui *t, int argc, char **argv, json_object *result);
void tui_iia_forget(tui *t);
/* The probes' marks (probe_marks.c): taken from a probe result (one site, or every site), forgotten
 * with the model; a site's mark as text ("probe gt 1.00 (chance 0.54)", or "gt 1.00" when that
 * is wider than room), false for none, and whether the label reads clearly above chance there. */
void tui_probes_take(tui *t, json_object *result);
void tui_probes_forget(tui *t);
bool tui_probe_mark(const tui *t, int site, int room, char *buf, size_t n, bool *readable);
/* The UI commands `failure next|prev|N` (the k-th failing pair of the last iia as base and source
 * rows) and `matrix [agree|error]` (the last matrix again, coloured so). */
int tui_cmd_failure(tui *t, int argc, char **argv, iv_error *err);
int tui_cmd_matrix(tui *t, int argc, char **argv, iv_error *err);
/* The drawings: the iia result as a panel, and the interchange matrix as a map. */
void tui_draw_iia(struct tui_canvas *cv, json_object *result);
void tui_draw_iia_matrix(struct tui_canvas *cv, json_object *result);

/* ---- PCA scatter plot (view_scatter.c) ------------------------------------------------------- */

/* A pca result (IV_RESULT_PCA) as a scatter plot of its "points" on the first two components,
 * coloured by class, and beside it its "erased_points" on the same scale; the probe's direction
 * from the origin. Braille dots in a UTF-8 locale, '.', 'o', '*' otherwise; without colour a
 * cell shows its class's digit, or '#' for several classes. */
void tui_draw_pca(struct tui_canvas *cv, json_object *result);
/* view_transformer.c: a head's attention pattern, query by key, and a patching scan, blocks by
 * positions or heads, as heatmaps. */
void tui_draw_attention(struct tui_canvas *cv, json_object *result);
void tui_draw_patch_scan(struct tui_canvas *cv, json_object *result);
/* The same drawing as text without colour, for a canvas of width x height (taller when height
 * leaves the plot fewer than 5 lines; a notice when width is too narrow). Caller frees. */
char *tui_scatter_text(json_object *result, int width, int height);

/* ---- layout (layout.c) -------------------------------------------------------------------------- */

typedef struct tui_rect {
    int y, x, h, w;
} tui_rect;

#define TUI_MAX_ROWS 64 /* site rows laid out (a model has at most 1 + 2 x 256 sites, but only so
                           many fit on a screen; the rest are reached by scrolling the cursor) */

typedef struct tui_layout {
    bool too_small;
    int need_rows, need_cols;
    tui_rect header, layers, output, list, effect, message, cmdline;
    int label_w;          /* site names column */
    int cell_w, cell_h;   /* one neuron */
    int per_line;         /* cells per screen line before a site wraps */
    int n_rows;
    int sites_above, sites_below; /* visible sites scrolled out of the panel, above and below */
    struct {
        int site;
        int y;            /* first screen line */
        int lines;        /* screen lines of cells (wrapped), not counting the labels lines */
        int step;         /* screen lines from one line of cells to the next (cell_h + labels) */
        int height;       /* screen lines of the row: its lines of cells, each with its labels */
        bool labels;      /* a line of neuron labels (or indices) under each line of cells */
        bool scan;        /* a line of the site's last scan under that (after the labels) */
        int first;        /* the first neuron shown: a wide site shows a window of at most
                             TUI_SITE_LINES lines, kept around the cursor */
        int shown;        /* neurons shown from `first` */
    } row[TUI_MAX_ROWS];
    /* A transformer's sites (grid.c): strips of positions, the cursor's site as a grid. */
    bool grid;
    int strip_w, strip_first, strip_shown;   /* a position's columns in a strip; the window */
    int grid_first_pos, grid_rows;           /* the grid's window: positions down ... */
    int grid_first_col, grid_cols;           /* ... and columns across (cells cell_w wide) */
} tui_layout;

#define TUI_SITE_LINES 3 /* lines of cells a wide site shows at most (its window scrolls) */
#define TUI_INDEX_MIN_WIDTH 8 /* a site without labels wider than this shows its indices: up to
                                 here one counts the cells at a glance */
#define TUI_BIG_CELL_H 3  /* a cell this tall shows its value in big three-line digits ... */
#define TUI_BIG_CELL_W 16 /* ... and needs to be this wide for them */
#define TUI_MIN_COLS 60
#define TUI_MIN_ROWS 20

void tui_layout_compute(const tui *t, tui_layout *lay);
/* The layout of the whole screen as tui_draw draws it: in a lecture the panels make room above the
 * message line for the step's caption. Clicks are mapped through this too. */
void tui_screen_layout(const tui *t, tui_layout *lay);
/* The lecture step's caption wrapped to the screen (NULL when there is none; caller frees), the
 * lines of it shown, whether it was cut short, and the row where it starts; tui_caption_top gives
 * that row alone (the message line's row when there is no caption). */
char *tui_caption(const tui *t, int *shown, bool *cut, int *top);
int tui_caption_top(const tui *t);
/* The lines the output panel would take to show every output, and the lines under its outputs
 * (the target, the spread of samples). */
int tui_output_lines(const tui *t);
int tui_output_extra_lines(const tui *t);
/* How many of a grid's g points a map shows in room for n: all when they fit; else the most that
 * keep an even stride (11 points in 10 lines: every other one, 6), so that the points shown are
 * evenly spaced and their labels count up evenly; n itself when that would drop more than half.
 * The effect map and the interchange matrix use it. */
int tui_even_count(long g, int n);
/* The cell under a screen position (for mouse clicks): returns 0 and fills site, neuron, or -1. */
int tui_layout_hit(const tui *t, const tui_layout *lay, int y, int x, int *site, int *neuron);
/* The screen rectangle of a neuron's cell, or -1 when it is not on screen. */
int tui_layout_cell(const tui *t, const tui_layout *lay, int site, int neuron, tui_rect *r);
/* Whether a site has a line under each line of its cells: labels, or indices where a neuron has
 * no label (for a site wider than TUI_INDEX_MIN_WIDTH). */
bool tui_site_has_label_line(const iv_model *m, int site);

/* ---- a transformer's sites (grid.c, view_grid.c) ------------------------------------------------- */

#define TUI_GRID_TAIL 9 /* columns after a strip for its scale */

/* A site's axes as the grid shows them: T positions down (a pattern's queries), `cols` columns
 * across (a pattern's keys; heads x values for a head site), H heads of K values. */
typedef struct tui_grid_axes {
    int kind, T, H, K, cols;
    bool pattern;
} tui_grid_axes;
bool tui_grid_mode(const tui *t); /* a transformer: its sites are drawn as grids */
void tui_grid_axes_of(const iv_model *m, int site, tui_grid_axes *a);
void tui_grid_coords(const tui_grid_axes *a, int neuron, int *pos, int *col, int *head);
int tui_grid_neuron(const tui_grid_axes *a, int pos, int col, int head);
/* The cursor's site's axes and the cursor's place in it. */
void tui_grid_cursor_place(const tui *t, tui_grid_axes *a, int *pos, int *col, int *head);
/* The layers panel's rows for a transformer; tui_layout_compute calls it. */
void tui_layout_grid(const tui *t, tui_layout *lay, const int *sites, int n, int height);
int tui_grid_cell(const tui *t, const tui_layout *lay, int site, int neuron, tui_rect *r);
int tui_grid_hit(const tui *t, const tui_layout *lay, int y, int x, int *site, int *neuron);
/* Moves the cursor: up, down (positions, then on into the next site), left, right (columns),
 * next-site, prev-site, next-head, prev-head; -1 for another direction. */
int tui_grid_cursor(tui *t, const char *dir, const int *sites, int n);
/* The cursor onto another site at the same position, column and head, as near as it has them. */
int tui_grid_cursor_site(tui *t, int site);
/* The address of the cursor's head at every position (head) or of its position; NULL when the
 * site has none. Caller frees. */
char *tui_grid_target(const tui *t, bool head);
/* The panels of view_heads.c, in the effect map's place, and the logit lens's cache. */
void tui_draw_heads(const tui *t, const tui_layout *lay);
void tui_draw_lens(const tui *t, const tui_layout *lay);
/* lens_cache.c: the lens of the last evaluation, clean and intervened; false without one. With
 * tui_lens_later on (the event loop's), a stale lens is not computed here: the last one is given
 * with *updating set (none for another model), and the cache is pending until tui_lens_update. */
struct tui_lens_cache *tui_lens_cache_new(void);
void tui_lens_cache_free(struct tui_lens_cache *c);
bool tui_lens_of(struct tui_lens_cache *c, const iv_workspace *ws, const iv_logit_lens **clean,
                 const iv_logit_lens **intervened, bool *updating);
void tui_lens_later(struct tui_lens_cache *c, bool later);
bool tui_lens_pending(const struct tui_lens_cache *c);
void tui_lens_update(struct tui_lens_cache *c, const iv_workspace *ws);
/* One neuron's cell where tui_layout_cell places it, coloured on the scale given (view_layers.c). */
void tui_draw_cell(const tui *t, const tui_layout *lay, int site, int i, double scale,
                   double source_scale, bool quiet_zeros);
/* The layers panel of a transformer: its title line (view_layers.c's), the strips and the grid. */
void tui_draw_grid(const tui *t, const tui_layout *lay);
/* The layers panel's title line: the view, the cursor, the sites out of sight, the scale. */
void tui_draw_layers_title(const tui *t, const tui_layout *lay);

/* ---- colour (colour.c) -------------------------------------------------------------------------- */

/* Colour pairs, by who defines them: colour.c's scale and named colours from 1 up, then the views
 * that set their own (curses puts at most 255 pairs in an attribute). Kept apart, since a pair
 * redefined while its cells are on screen recolours them. */
enum {
    TUI_PAIRS_BIG = 24,    /* bigdigits.c: the change up, down */
    TUI_PAIRS_CHARTS = 32, /* view_charts.c: two palettes of 8 (regions, kinds of ablation) */
    TUI_PAIRS_IMAGE = 48,  /* view_image.c: 146 pairs of front and back shades, to 193 */
    TUI_PAIRS_IIA = 30,    /* view_iia.c: the matrix's agree, disagree */
    TUI_PAIRS_SCATTER = 194, /* view_scatter.c: 8 class colours of the PCA scatter plot, to 201 */
    TUI_PAIRS_HALVES = 202,  /* colour.c: 7 x 7 pairs of positive levels, upper on lower, to 250 */
};
/* Chooses the mode from the terminal and NO_COLOR, and sets up colour pairs; chooses the glyphs
 * from the locale (UTF-8, or ASCII stand-ins). Call after initscr and setlocale. */
tui_colour_mode tui_colour_init(void);
/* The glyphs beyond ASCII, by purpose. */
typedef enum {
    TUI_GLYPH_DOT,      /* a point of a chart's curve */
    TUI_GLYPH_DIAGONAL, /* the line x = y on a map */
    TUI_GLYPH_FULL, TUI_GLYPH_LIGHT, TUI_GLYPH_MEDIUM, TUI_GLYPH_DARK, /* shades */
    TUI_GLYPH_BAR1,     /* the lowest eighth bar; + k - 1 for k eighths, up to + 7 */
    TUI_GLYPH_COUNT = TUI_GLYPH_BAR1 + 8
} tui_glyph_name;
const char *tui_glyph(tui_glyph_name g);
bool tui_glyphs_ascii(void); /* whether the locale is not UTF-8 */
/* Attributes for a value on the diverging scale (-scale .. +scale, centred at zero). */
int tui_colour_attr(tui_colour_mode mode, double value, double scale);
/* Two values of the positive scale (0 .. scale) in one cell, as tui_colour_halves_glyph over its
 * attribute: the upper value's colour over the lower's, a heatmap at twice the lines. -1 where the
 * terminal cannot (fewer than 256 colours, or not UTF-8) or a value is negative. */
int tui_colour_halves(tui_colour_mode mode, double upper, double lower, double scale);
const char *tui_colour_halves_glyph(void); /* "▀" */
/* Without colour: a shade glyph for the magnitude (" ", "░", "▒", "▓", "█", or ASCII). */
const char *tui_colour_shade(double value, double scale);
/* As tui_colour_shade, with negative values in a family of their own (dashes that thicken: "╌",
 * "─", "═", "━"; ASCII "-", "~", "%", "@"), so that sign shows without colour. */
const char *tui_colour_signed_shade(double value, double scale);
/* Named attributes by meaning. */
typedef enum {
    TUI_ATTR_TITLE, TUI_ATTR_HEADER, TUI_ATTR_CURSOR, TUI_ATTR_ERROR, TUI_ATTR_DIM, TUI_ATTR_OFF,
    TUI_ATTR_CHANGED, TUI_ATTR_SELECTED
} tui_attr_name;
int tui_attr(tui_colour_mode mode, tui_attr_name name);

/* ---- views: each draws one panel from the state, read-only ------------------------------------- */

void tui_draw(const tui *t);                       /* everything, then refresh */
void tui_draw_header(const tui *t, const tui_layout *lay);
void tui_draw_layers(const tui *t, const tui_layout *lay);
void tui_draw_output(const tui *t, const tui_layout *lay);
void tui_draw_list(const tui *t, const tui_layout *lay);
void tui_draw_effect(const tui *t, const tui_layout *lay);
/* The image of t->image_site, clean beside intervened and their difference, drawn in the effect
 * panel's place (view_image.c). */
void tui_draw_image(const tui *t, const tui_layout *lay);
void tui_draw_popup(const tui *t);

/* A line running as a job, as its progress bar shows it. The bar reads none of the state, which
 * the worker is changing meanwhile: only this, the colours and the screen's size. */
typedef struct tui_progress {
    const char *what;     /* the command line */
    double fraction;      /* done, 0 to 1 */
    double elapsed;       /* seconds since it started */
    bool cancelling;      /* Esc was pressed: waiting for the work to stop */
    bool busy;            /* a key other than Esc came: say that it was not taken */
} tui_progress;
/* The bar as text in at most `width` columns: the command (cut short to fit), [####....], the
 * percentage, the time left (once more than 2% is done), then "Esc cancels" (or "busy: Esc
 * cancels", or "cancelling..."). Returns the byte offset in buf of that last part. */
size_t tui_progress_text(const tui_progress *p, int width, char *buf, size_t size);
/* Draws it on the message line (rows - 2) of a screen of the given size, and refreshes. */
void tui_draw_progress(const tui_progress *p, tui_colour_mode colour, int rows, int cols);

/* ---- the command line (cmdline.c) --------------------------------------------------------------- */

/* Installs readline's callback interface drawing into the bottom line; history from the XDG state
 * directory. */
void tui_cmdline_init(tui *t);
void tui_cmdline_end(void);
/* Opens the line (with optional prefilled text); keys then go to tui_cmdline_key until Enter runs
 * the line through tui_run, or Escape / Ctrl-C / Ctrl-G cancels it. */
void tui_cmdline_open(tui *t, const char *prefill);
void tui_cmdline_key(tui *t, int key);
/* Draws the line and places the cursor (the last thing drawn, so the cursor stays there). */
void tui_cmdline_draw(const tui *t, const tui_layout *lay);

/* ---- charts (chart.c) -------------------------------------------------------------------------- */

/* A sweep result (the 'sweep' command's JSON) as a line chart in plain text lines, width x height
 * characters for the plot, the axis named by the input or neuron of model m (its label too) and
 * ticked at round numbers; NULL when it has too few points or no room. Caller frees. */
char *tui_chart_text(json_object *sweep, const iv_model *m, int width, int height);
/* Round tick values covering lo..hi, at most max_ticks of them (1, 2 or 5 times a power of ten
 * apart); returns the count, and the step in *step. */
int tui_nice_ticks(double lo, double hi, int max_ticks, double *ticks, double *step);
/* A steering sweep's class probabilities against alpha (the first few classes, a glyph each), or
 * NULL when its points carry none. */
char *tui_probability_chart_text(json_object *sweep, const iv_model *m, int width, int height);
/* A result's "record" (train, das: one object per epoch with "epoch", "loss" and "accuracy" or
 * "iia") as a line chart over the epochs: the loss on the left axis, the accuracy (or IIA) on the
 * right, 0 to 1; an INLP record (one object per "iteration") as its held-out and training
 * accuracy against chance, 0 to 1; NULL when there is no record of two rows or no room. */
char *tui_record_chart_text(json_object *result, int width, int height);

/* ---- popups (popup.c) and the drawings in them (view_charts.c) ------------------------------------ */

/* The open popup's box on screen and the content lines inside it: its frame stays between the
 * header and the caption (or the message line), the title on the frame's top line. */
void tui_popup_geometry(const tui *t, tui_rect *box, tui_rect *body, int *lines);
/* The lines inside the tallest popup the screen has room for. */
int tui_popup_room(const tui *t);
/* How far the open popup can scroll at the screen's size (its last line at the bottom). */
int tui_popup_max_scroll(const tui *t);
/* Draws what the open popup shows into its inside, from its scroll on (the frame is the view's). */
void tui_popup_draw_body(const tui *t, const tui_rect *body);

/* Where a drawing goes. A drawing writes at content lines and columns from 0; the canvas scrolls
 * and clips them into the popup's inside, or only measures (nothing drawn, so the key handler can
 * ask how far a popup scrolls). */
typedef struct tui_canvas {
    const tui *t;
    bool measure;       /* count lines and columns only */
    tui_rect body;      /* the popup's inside on the screen */
    int first;          /* the content line shown on the body's first line (the scroll) */
    int origin;         /* the content line where the part being drawn starts */
    int width, height;  /* the most the part may take and still be seen whole, without scrolling */
    int lines, cols;    /* what the part has used so far */
} tui_canvas;
/* Draws s at a line and column of the part being drawn; returns the columns it takes. */
int tui_canvas_put(tui_canvas *cv, int line, int col, const char *s, int attr);
/* The drawing for a result, or NULL when it reads best as text: a regions result over a 2-input
 * grid (the maps of patterns), a comparison (the loss gaps as bars, under the table). */
tui_drawing tui_drawing_for(iv_result_type type, json_object *result, bool *keep_text);
void tui_draw_regions(tui_canvas *cv, json_object *result);
void tui_draw_compare_bars(tui_canvas *cv, json_object *result);

/* Horizontal bars (view_charts.c), shared by compare's loss gaps and the sorted scan: a linear
 * scale up to a spread of 100 between the largest and smallest value, beyond it a log one. */
typedef struct tui_bar_scale {
    bool log;
    double lo, hi; /* linear: 0 and the largest value; log: the decades around the values */
    int width;     /* columns of the longest bar */
} tui_bar_scale;
/* The scale for n magnitudes (those not finite or not above 0 are ignored), bars at most width. */
void tui_bar_scale_fit(const double *values, int n, int width, tui_bar_scale *s);
/* Columns of a bar for magnitude v: 0 for none, else at least 1. */
int tui_bar_length(const tui_bar_scale *s, double v);
/* The axis under bars starting at column x0: a '|' at each tick with its value under it, then the
 * scale named after `quantity` ("loss gap") on the line after. */
void tui_bar_axis(tui_canvas *cv, int line, int x0, const tui_bar_scale *s, const char *quantity);

/* The causal model of the workspace as a graph (view_causal.c): a box per variable, inputs on the
 * left (grouped when many feed the same variables), the output last, lines from parents with an
 * arrow into each child, the aligned neurons beside each aligned variable. */
void tui_draw_causal(struct tui_canvas *cv, json_object *result);
/* The same graph compact, beside the network: each variable's name on one line (an aligned one in
 * colour), no frames or expressions. Its height when it fits in `width` columns, else -1 (also
 * with no causal model); drawn from `row` of r. */
int tui_causal_compact_height(const iv_workspace *ws, int width);
void tui_draw_causal_compact(const tui *t, const tui_rect *r, int row);

/* ---- big digits (bigdigits.c) ------------------------------------------------------------------ */

/* A number drawn in a pixel font several lines tall (block characters; '#'s in ASCII), at size 1
 * or 2. The text may hold digits, '+', '-', '.', 'e', ' ' and '>' (an arrow). */
bool tui_big_drawable(const char *s);
int tui_big_width(const char *s, int size);
int tui_big_height(int size);
void tui_big_draw(const tui_rect *r, int row, int col, const char *s, int size, int attr);
/* The attribute of digits that show a change: red up, blue down (bold without colour). */
int tui_big_change_attr(tui_colour_mode mode, double change);

/* ---- lecture mode: its file (demo.c), freed with the state (tui_state.c), walked by the commands
 * (tui_commands.c) --------------------------------------------------------------------------------- */

/* Reads a demo file: steps separated by blank lines; in a step, 'say TEXT' lines are the caption and
 * the other lines are commands; '#' lines are comments. Errors name FILE:LINE. */
tui_demo *tui_demo_load(const char *path, iv_error *err);
void tui_demo_free(tui_demo *d);
/* Moves delta steps (+1 forward, -1 back). Going back restarts from the model and replays the
 * earlier steps, which gives the same numbers since every random draw is seeded. */
int tui_demo_step(tui *t, int delta);

/* ---- the program (tui.c) ------------------------------------------------------------------------ */

/* Runs the explorer until quit; restores the terminal on every exit path. demo_path may be NULL.
 * Returns the process exit status. */
int tui_main(iv_workspace *ws, const char *model_arg, const char *demo_path);

/* A number in at most w columns (view_layers.c): the most digits that fit, then without its leading
 * zero, then as a compact exponent; '#'s only when nothing fits. */
void tui_fit_number(char *buf, int w, double v);

#endif
