/* colour.c - the explorer's colours: a diverging scale for values and named attributes by meaning.
 *
 * Values are shown on a scale centred at zero: blue for negative, red for positive, pale near zero
 * and saturated at the extreme, so that a lecture hall can read a map from the back row. Every
 * colour has a monochrome twin (shade glyphs for values, one family for positive values and
 * another for negative ones; reverse, bold, underline and dim for the named attributes), used
 * when the terminal has no colour or NO_COLOR is set.
 *
 * Colour pair numbers are fixed (the only state is what curses itself holds):
 *    1 ..  6   positive values, level 1 (just above zero) to 6 (the extreme)
 *    7 .. 12   negative values, level 1 to 6
 *   13         exactly zero
 *   14         not a number
 *   15 .. 19   title, header, error, dim, off (the named attributes that carry a colour) */
#include <langinfo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "tui.h"

enum {
    PAIR_POS = 1,       /* + level - 1 */
    PAIR_NEG = 7,       /* + level - 1 */
    PAIR_ZERO = 13,
    PAIR_NAN = 14,
    PAIR_TITLE = 15,
    PAIR_HEADER,
    PAIR_ERROR,
    PAIR_DIM,
    PAIR_OFF,
    PAIR_LAST = PAIR_OFF,
};
_Static_assert((int)PAIR_LAST < (int)TUI_PAIRS_BIG && TUI_PAIRS_BIG + 2 <= TUI_PAIRS_CHARTS &&
                   TUI_PAIRS_CHARTS + 16 <= TUI_PAIRS_IMAGE && TUI_PAIRS_BIG + 2 <= TUI_PAIRS_IIA &&
                   TUI_PAIRS_IIA + 2 <= TUI_PAIRS_CHARTS &&
                   TUI_PAIRS_IMAGE + 146 <= TUI_PAIRS_SCATTER &&
                   TUI_PAIRS_SCATTER + 8 <= TUI_PAIRS_HALVES && TUI_PAIRS_HALVES + 49 <= 256,
               "the ranges of colour pairs in tui.h do not overlap");

#define LEVELS 6

/* ---- glyphs ------------------------------------------------------------------------------------
 *
 * The few glyphs beyond ASCII, with stand-ins for a terminal whose locale is not UTF-8 (a server
 * reached over SSH with LANG=C): there curses would show each UTF-8 byte as a cell of its own
 * ('?' or '~X') and push the rest of the row aside. */
static const char *const glyph_utf8[TUI_GLYPH_COUNT] = {
    [TUI_GLYPH_DOT] = "·",    [TUI_GLYPH_DIAGONAL] = "·", [TUI_GLYPH_FULL] = "█",
    [TUI_GLYPH_LIGHT] = "░",  [TUI_GLYPH_MEDIUM] = "▒",   [TUI_GLYPH_DARK] = "▓",
    [TUI_GLYPH_BAR1] = "▁",   [TUI_GLYPH_BAR1 + 1] = "▂", [TUI_GLYPH_BAR1 + 2] = "▃",
    [TUI_GLYPH_BAR1 + 3] = "▄", [TUI_GLYPH_BAR1 + 4] = "▅", [TUI_GLYPH_BAR1 + 5] = "▆",
    [TUI_GLYPH_BAR1 + 6] = "▇", [TUI_GLYPH_BAR1 + 7] = "█",
};
static const char *const glyph_ascii[TUI_GLYPH_COUNT] = {
    [TUI_GLYPH_DOT] = ".",    [TUI_GLYPH_DIAGONAL] = "/", [TUI_GLYPH_FULL] = "#",
    [TUI_GLYPH_LIGHT] = ".",  [TUI_GLYPH_MEDIUM] = ":",   [TUI_GLYPH_DARK] = "=",
    [TUI_GLYPH_BAR1] = "_",   [TUI_GLYPH_BAR1 + 1] = ".", [TUI_GLYPH_BAR1 + 2] = ",",
    [TUI_GLYPH_BAR1 + 3] = ":", [TUI_GLYPH_BAR1 + 4] = "=", [TUI_GLYPH_BAR1 + 5] = "+",
    [TUI_GLYPH_BAR1 + 6] = "*", [TUI_GLYPH_BAR1 + 7] = "#",
};
static const char *const *glyphs = glyph_utf8;

/* xterm-256 palette: the 6 x 6 x 6 cube starts at 16, index 16 + 36 r + 6 g + b. Pale tints first,
 * then saturated colours, luminance falling at every step. The text on them switches from black
 * (16) to white (231) where white gives the better contrast (from level 5 on, for both hues); each
 * pair reaches WCAG's 4.5:1, which a washed-out projector needs (the tests check it). */
static const short red256[LEVELS] = {224, 217, 210, 203, 160, 124};
static const short blue256[LEVELS] = {189, 153, 111, 69, 27, 19};
static const short text256[LEVELS] = {16, 16, 16, 16, 231, 231};
#define ZERO256 255 /* light grey: neutral, and lighter than no tint, so zero reads as "nothing" */

/* ---- setting up ---------------------------------------------------------------------------------- */

/* The scale on 256 colours: each level its own background. */
static void init_scale_256(short def_bg)
{
    for (int k = 0; k < LEVELS; k++) {
        init_pair((short)(PAIR_POS + k), text256[k], red256[k]);
        init_pair((short)(PAIR_NEG + k), text256[k], blue256[k]);
    }
    init_pair(PAIR_ZERO, 16, ZERO256);
    init_pair(PAIR_NAN, 226, def_bg); /* yellow, shown reversed */
    init_pair(PAIR_TITLE, 39, def_bg);
    init_pair(PAIR_HEADER, 231, 24);
    init_pair(PAIR_ERROR, 231, 160);
    init_pair(PAIR_DIM, 245, def_bg);
    init_pair(PAIR_OFF, 242, def_bg);
    /* the halves: level 0 (zero) and the six positive ones, upper as the glyph, lower behind it */
    for (int up = 0; up <= LEVELS; up++)
        for (int low = 0; low <= LEVELS; low++)
            init_pair((short)(TUI_PAIRS_HALVES + up * (LEVELS + 1) + low),
                      up ? red256[up - 1] : ZERO256, low ? red256[low - 1] : ZERO256);
}

/* On 8 colours there is only one blue and one red: small magnitudes colour the glyph (foreground),
 * large ones fill the cell (background). tui_colour_attr adds A_BOLD at levels 3 and 6. */
static void init_scale_8(short def_fg, short def_bg)
{
    for (int k = 0; k < LEVELS; k++) {
        bool fill = k >= LEVELS / 2;
        init_pair((short)(PAIR_POS + k), fill ? COLOR_WHITE : COLOR_RED, fill ? COLOR_RED : def_bg);
        init_pair((short)(PAIR_NEG + k), fill ? COLOR_WHITE : COLOR_BLUE, fill ? COLOR_BLUE : def_bg);
    }
    init_pair(PAIR_ZERO, def_fg, def_bg);
    init_pair(PAIR_NAN, COLOR_YELLOW, def_bg);
    init_pair(PAIR_TITLE, COLOR_CYAN, def_bg);
    init_pair(PAIR_HEADER, COLOR_WHITE, COLOR_BLUE);
    init_pair(PAIR_ERROR, COLOR_WHITE, COLOR_RED);
    init_pair(PAIR_DIM, def_fg, def_bg);
    init_pair(PAIR_OFF, def_fg, def_bg);
}

tui_colour_mode tui_colour_init(void)
{
    const char *codeset = nl_langinfo(CODESET);
    glyphs = codeset && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0)
                 ? glyph_utf8 : glyph_ascii;
    /* no-color.org: NO_COLOR present and not empty, whatever its value, turns colour off. */
    const char *no_color = getenv("NO_COLOR");
    if ((no_color && *no_color) || !has_colors() || start_color() == ERR)
        return TUI_COLOUR_NONE;
    if (COLORS < 8 || COLOR_PAIRS <= PAIR_LAST)
        return TUI_COLOUR_NONE;
    /* The terminal's own background behind text keeps the user's theme (light or dark); where
     * that is not possible, white on black stands in for it. */
    short def_fg = -1, def_bg = -1;
    if (use_default_colors() == ERR) {
        def_fg = COLOR_WHITE;
        def_bg = COLOR_BLACK;
    }
    if (COLORS >= 256) {
        init_scale_256(def_bg);
        return TUI_COLOUR_256;
    }
    init_scale_8(def_fg, def_bg);
    return TUI_COLOUR_8;
}

/* ---- values ---------------------------------------------------------------------------------- */

/* |value| / scale clamped to [0, 1]; a scale that is not positive counts as 1. */
static double magnitude(double value, double scale)
{
    if (!(scale > 0))
        scale = 1;
    double r = fabs(value) / scale;
    return r > 1 ? 1 : r;
}

int tui_colour_attr(tui_colour_mode mode, double value, double scale)
{
    if (mode == TUI_COLOUR_NONE)
        return A_NORMAL;
    if (isnan(value))
        return (int)(COLOR_PAIR(PAIR_NAN) | A_REVERSE | A_BOLD);
    if (value == 0)
        return (int)COLOR_PAIR(PAIR_ZERO);
    /* Levels 1..6 split (0, 1] evenly; anything not zero is at least level 1, so the smallest
     * change still shows. */
    int level = (int)ceil(magnitude(value, scale) * LEVELS);
    if (level < 1)
        level = 1;
    int pair = (value > 0 ? PAIR_POS : PAIR_NEG) + level - 1;
    int extra = 0;
    if (mode == TUI_COLOUR_8 && (level == LEVELS / 2 || level == LEVELS))
        extra = A_BOLD; /* the brighter red / blue marks the top of each half */
    return (int)COLOR_PAIR(pair) | extra;
}

/* A positive value's level: 0 for zero, else 1 .. 6 as tui_colour_attr splits (0, 1]. */
static int positive_level(double value, double scale)
{
    if (value == 0)
        return 0;
    int level = (int)ceil(magnitude(value, scale) * LEVELS);
    return level < 1 ? 1 : level;
}

int tui_colour_halves(tui_colour_mode mode, double upper, double lower, double scale)
{
    if (mode != TUI_COLOUR_256 || glyphs != glyph_utf8 || !(upper >= 0) || !(lower >= 0))
        return -1;
    int pair = TUI_PAIRS_HALVES + positive_level(upper, scale) * (LEVELS + 1) +
               positive_level(lower, scale);
    return pair < COLOR_PAIRS ? (int)COLOR_PAIR(pair) : -1;
}

const char *tui_colour_halves_glyph(void) { return "▀"; }

const char *tui_glyph(tui_glyph_name g)
{
    return (unsigned)g < TUI_GLYPH_COUNT ? glyphs[g] : "?";
}

bool tui_glyphs_ascii(void) { return glyphs == glyph_ascii; }

const char *tui_colour_shade(double value, double scale)
{
    if (isnan(value))
        return "?";
    double r = magnitude(value, scale);
    /* Exactly zero is blank; the rest falls in four quarters, so no change is too small to see. */
    if (r == 0)
        return " ";
    if (r <= 0.25)
        return tui_glyph(TUI_GLYPH_LIGHT);
    if (r <= 0.5)
        return tui_glyph(TUI_GLYPH_MEDIUM);
    if (r <= 0.75)
        return tui_glyph(TUI_GLYPH_DARK);
    return tui_glyph(TUI_GLYPH_FULL);
}

/* Negative magnitudes by quarter, as dashes that thicken: a row of them reads as minus signs, and
 * a solid shade beside it as plus, whatever the terminal does with colour. */
static const char *const negative_utf8[4] = {"╌", "─", "═", "━"};
static const char *const negative_ascii[4] = {"-", "~", "%", "@"};

const char *tui_colour_signed_shade(double value, double scale)
{
    if (!(value < 0))
        return tui_colour_shade(value, scale); /* positive, zero (blank) and NaN ("?") */
    double r = magnitude(value, scale);
    int quarter = r <= 0.25 ? 0 : r <= 0.5 ? 1 : r <= 0.75 ? 2 : 3;
    return (glyphs == glyph_ascii ? negative_ascii : negative_utf8)[quarter];
}

/* ---- named attributes ------------------------------------------------------------------------ */

/* Without colour every name still differs (reverse, bold, underline, dim). The three that mark a
 * value's cell (CURSOR, CHANGED, SELECTED) never carry a colour pair, so they can be OR-ed onto the
 * value's colour: OR-ing two pairs would make a third, unrelated one. */
static const struct {
    int mono;   /* attributes under TUI_COLOUR_NONE */
    int pair;   /* 0: none */
    int extra;  /* attributes added to the pair */
} named[] = {
    [TUI_ATTR_TITLE] = {A_BOLD, PAIR_TITLE, A_BOLD},
    [TUI_ATTR_HEADER] = {A_REVERSE, PAIR_HEADER, A_BOLD},
    [TUI_ATTR_CURSOR] = {A_REVERSE | A_BOLD, 0, A_REVERSE | A_BOLD},
    [TUI_ATTR_ERROR] = {A_BOLD | A_UNDERLINE, PAIR_ERROR, A_BOLD},
    [TUI_ATTR_DIM] = {A_DIM, PAIR_DIM, 0},
    [TUI_ATTR_OFF] = {A_DIM | A_UNDERLINE, PAIR_OFF, A_DIM},
    [TUI_ATTR_CHANGED] = {A_UNDERLINE, 0, A_UNDERLINE},
    [TUI_ATTR_SELECTED] = {A_REVERSE | A_UNDERLINE, 0, A_REVERSE | A_UNDERLINE},
};

int tui_attr(tui_colour_mode mode, tui_attr_name name)
{
    if ((unsigned)name >= sizeof named / sizeof named[0])
        return A_NORMAL;
    if (mode == TUI_COLOUR_NONE)
        return named[name].mono;
    int attr = named[name].extra;
    if (named[name].pair)
        attr |= (int)COLOR_PAIR(named[name].pair);
    /* 8 colours have no grey: dim text is the terminal's own dim. */
    if (mode == TUI_COLOUR_8 && name == TUI_ATTR_DIM)
        attr |= A_DIM;
    return attr;
}
