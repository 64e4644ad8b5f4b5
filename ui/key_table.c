/* key_table.c - the key table: every key of the explorer issues command text that could have been
 * typed at the ':' line, so each action is echoed, replayable and testable in batch mode. The help
 * screen and the manual page are generated from this same table. */
#include <curses.h>

#include "tui.h"

#define CTRL(c) ((c) & 0x1f)

/* Placeholders in command text: {addr} the selection (or the cursor neuron), {cur} the cursor
 * neuron, {sel-or-site} the selection or else the cursor's whole site, {id} the intervention under
 * the cursor, {last} the newest intervention, {up} / {down}
 * the focused input stepped up or down. Keys whose text is NULL are handled in tui_key_press. */
static const tui_key table[] = {
    {'z', "z", "ablate {addr} zero", "zero-ablate the selection, or the neuron under the cursor"},
    {'m', "m", "ablate {addr} mean", "mean-ablate (the mean over the reference dataset)"},
    {'n', "n", "ablate {addr} noise", "noise (3 x std, 10 seeded samples)"},
    {'r', "r", "ablate {addr} resample", "resample from other examples of the dataset"},
    {'p', "p", "patch {addr}", "patch from the source input (interchange intervention)"},
    {'=', "=", NULL, "set to a value (opens the command line)"},
    {'t', "t", "toggle {id}", "switch the intervention under the cursor off or on"},
    {'u', "u", "drop {last}", "undo: drop the newest intervention"},
    {'c', "c", "clear", "remove every intervention"},
    {'o', "o", "ablate {addr} optimal", "optimal ablation (the constant with the least loss gap)"},
    {'C', "C", "compare {sel-or-site}", "loss gaps of every ablation kind: the selection, else the "
     "layer"},
    {'R', "R", "regions {layer}", "the layer's ReLU regions over the dataset, and the flips"},
    {'v', "v", "view next", "view: intervened, clean, difference, base beside source"},
    {'s', "s", "swap", "swap the base and source inputs"},
    {'.', ".", "input row next", "the next row of the dataset as the base input"},
    {',', ",", "input row prev", "the previous row of the dataset as the base input"},
    {'+', "+", "{up}", "step the focused input up"},
    {'-', "-", "{down}", "step the focused input down"},
    {'\t', "Tab", "focus next", "focus the next input (for + and -)"},
    {'P', "P", "pre", "show or hide the pre-activation sites"},
    {'S', "S", "scale", "colour scale: one for every site, or one per site"},
    {'e', "e", "map", "the map over the dataset: output change, or the output itself"},
    {'O', "O", "output", "the output in big digits (clean -> intervened), or as a table"},
    {'I', "I", "image", "the site under the cursor (else the input) as an image, or not"},
    {'f', "f", "failure next", "the next failing pair of the last iia, as base and source rows"},
    {'F', "F", "failure prev", "the previous failing pair of the last iia"},
    {'X', "X", "iia matrix", "the interchange matrix: base x source pairs, agree or not"},
    {'E', "E", "matrix", "the last interchange matrix again, by error or by agreement"},
    {' ', "Space", "select {cur}", "select or unselect the neuron under the cursor"},
    {'a', "a", "select {head}", "select the head under the cursor, at every position"},
    {'x', "x", "select {pos}", "select the position under the cursor, all its values"},
    {27, "Esc", "select none", "clear the selection"},
    {KEY_LEFT, "Left h", "cursor left", "move the cursor"},
    {'h', NULL, "cursor left", NULL},
    {KEY_RIGHT, "Right l", "cursor right", "move the cursor"},
    {'l', NULL, "cursor right", NULL},
    {KEY_UP, "Up k", "cursor up", "move the cursor"},
    {'k', NULL, "cursor up", NULL},
    {KEY_DOWN, "Down j", "cursor down", "move the cursor (a transformer: over positions)"},
    {'j', NULL, "cursor down", NULL},
    {'J', "J", "cursor next-site", "the next site, at the same position"},
    {'K', "K", "cursor prev-site", "the previous site, at the same position"},
    {'>', ">", "cursor next-head", "the next head (a site without heads: 8 columns on)"},
    {'<', "<", "cursor prev-head", "the previous head"},
    {'A', "A", "panel heads", "every head's attention pattern in the cursor's block, or the map"},
    {'L', "L", "panel lens", "the logit lens (each block's top token at each position), or the "
     "map"},
    {']', "] PgDn", "demo next", "lecture mode: next step"},
    {KEY_NPAGE, NULL, "demo next", NULL},
    {'[', "[ PgUp", "demo back", "lecture mode: previous step"},
    {KEY_PPAGE, NULL, "demo back", NULL},
    {':', ":", NULL, "type a command (Tab completes, Up recalls, Esc cancels)"},
    {'?', "?", "help", "this help (Up/Down scroll it)"},
    {'q', "q", "quit", "quit (asks first when there are unsaved interventions)"},
    {CTRL('l'), "Ctrl-L", NULL, "redraw the screen"},
};

const tui_key *tui_keys(int *count)
{
    *count = (int)(sizeof table / sizeof table[0]);
    return table;
}
