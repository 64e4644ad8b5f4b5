/* view_causal.c - the high-level causal model drawn as a graph in the popup of `causal`.
 *
 * One box per variable in columns by depth: the inputs on the left (inputs that feed the same
 * variables share a box when there are more than GROUP_FROM of them), each assigned variable with
 * its expression, the output last; an aligned variable's box names its neurons ("~ h1[0:2]").
 * Lines run from a parent's right side to an arrow into its child's left side: in the channel
 * between two columns each child has a vertical lane of its own, which its parents' lines join; an
 * edge that skips a column passes through it on a line of its own below the boxes.
 *
 * Lines are drawn on a grid of cells, each knowing which edges cross it; a cell where only edges
 * of one net meet (one parent, or one child) is a junction, and where a vertical and a horizontal
 * line of two unrelated nets cross, the vertical one is drawn whole and the horizontal one passes
 * under it. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causal.h"
#include "draw.h"
#include "tui.h"

#define GROUP_FROM 4 /* more inputs than this are grouped by the variables they feed */
#define MAX_COLUMNS 32

enum { N = 1, E = 2, S = 4, W = 8 };

typedef struct node {
    int column;
    int x, y, w, h;    /* on the grid; a pass-through line has h 1 and the column's width */
    int exit, entry;   /* the rows its lines leave from (right) and arrive at (left) */
    bool box;          /* false: a line passing through a column */
    bool aligned;      /* compact: the variable has an alignment (its name is drawn in colour) */
    char text[2][256]; /* a box's lines: the variable and its expression, its alignment */
    int final;         /* the node an edge through a pass-through line goes to; itself for a box */
} node;

typedef struct edge {
    int from, to;
} edge;

typedef struct graph {
    node *nodes;
    int n_nodes, cap_nodes;
    edge *edges;
    int n_edges, cap_edges;
    int n_columns;
    int col_x[MAX_COLUMNS], col_w[MAX_COLUMNS];
    int width, height;
} graph;

/* ---- the nodes ------------------------------------------------------------------------------------ */

static int add_node(graph *g, int column, bool box)
{
    if (g->n_nodes == g->cap_nodes) {
        g->cap_nodes = g->cap_nodes ? 2 * g->cap_nodes : 16;
        g->nodes = iv_xrealloc(g->nodes, sizeof *g->nodes * (size_t)g->cap_nodes);
    }
    node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->column = column;
    n->box = box;
    n->final = g->n_nodes;
    return g->n_nodes++;
}

static void add_edge(graph *g, int from, int to)
{
    for (int i = 0; i < g->n_edges; i++)
        if (g->edges[i].from == from && g->edges[i].to == to)
            return;
    if (g->n_edges == g->cap_edges) {
        g->cap_edges = g->cap_edges ? 2 * g->cap_edges : 32;
        g->edges = iv_xrealloc(g->edges, sizeof *g->edges * (size_t)g->cap_edges);
    }
    g->edges[g->n_edges++] = (edge){from, to};
}

/* Whether variable p is a parent of variable v. */
static bool feeds(const iv_causal *c, int p, int v)
{
    for (int k = 0; k < c->vars[v].n_parents; k++)
        if (c->vars[v].parents[k] == p)
            return true;
    return false;
}

/* Whether inputs a and b feed the same variables. */
static bool same_children(const iv_causal *c, int a, int b)
{
    for (int v = c->n_inputs; v < c->n_vars; v++)
        if (feeds(c, a, v) != feeds(c, b, v))
            return false;
    return true;
}

/* Columns by depth: inputs 0, a variable one more than its deepest parent, the output after
 * every other variable. */
static void depths(const iv_causal *c, int *depth)
{
    int deepest = 0;
    for (int v = 0; v < c->n_vars; v++) {
        depth[v] = 0;
        for (int k = 0; k < c->vars[v].n_parents; k++)
            if (depth[c->vars[v].parents[k]] + 1 > depth[v])
                depth[v] = depth[c->vars[v].parents[k]] + 1;
        if (v != c->output && depth[v] > deepest)
            deepest = depth[v];
    }
    if (c->output >= c->n_inputs && depth[c->output] <= deepest)
        depth[c->output] = deepest + 1;
    for (int v = 0; v < c->n_vars; v++)
        if (depth[v] >= MAX_COLUMNS)
            depth[v] = MAX_COLUMNS - 1;
}

/* The alignment of variable v as "~ h1[0:2]", or "". */
static void alignment_text(const iv_workspace *ws, int v, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int a = 0; a < ws->n_alignments; a++)
        if (ws->alignments[a].var == v) {
            char *addr = iv_addr_format(ws->model, &ws->alignments[a].addr);
            if (ws->alignments[a].k)
                snprintf(buf, n, "~ %s (subspace %d)", addr, ws->alignments[a].k);
            else
                snprintf(buf, n, "~ %s", addr);
            free(addr);
        }
}

/* The boxes: one per input (or per group of inputs), one per assigned variable; node_of[v] is
 * the box that holds variable v. */
static void make_boxes(graph *g, const iv_workspace *ws, const int *depth, int *node_of,
                       bool compact)
{
    const iv_causal *c = ws->causal;
    bool group = c->n_inputs > GROUP_FROM;
    for (int v = 0; v < c->n_vars; v++)
        node_of[v] = -1;
    for (int v = 0; v < c->n_vars; v++) {
        if (node_of[v] >= 0)
            continue;
        int id = add_node(g, depth[v], true);
        node *n = &g->nodes[id];
        node_of[v] = id;
        if (v < c->n_inputs) {
            snprintf(n->text[0], sizeof n->text[0], "%s", c->names[v]);
            for (int u = v + 1; group && u < c->n_inputs; u++)
                if (node_of[u] < 0 && same_children(c, v, u)) {
                    node_of[u] = id;
                    size_t len = strlen(n->text[0]);
                    snprintf(n->text[0] + len, sizeof n->text[0] - len, " %s", c->names[u]);
                }
        } else if (compact) {
            snprintf(n->text[0], sizeof n->text[0], "%s", c->names[v]);
        } else {
            snprintf(n->text[0], sizeof n->text[0], "%s = %s", c->names[v], c->vars[v].text);
        }
        alignment_text(ws, v, n->text[1], sizeof n->text[1]);
        int w = tui_text_width(n->text[0]), w1 = tui_text_width(n->text[1]);
        if (compact) { /* the name alone on one line, a blank either side; no frame */
            n->aligned = n->text[1][0] != '\0';
            n->text[1][0] = '\0';
            n->w = w + 2;
            n->h = 1;
            continue;
        }
        n->w = (w > w1 ? w : w1) + 4;
        n->h = n->text[1][0] ? 4 : 3;
    }
}

/* The pass-through line of the edges into `final` through a column, made when first needed. */
static int pass_through(graph *g, int final, int column)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].box && g->nodes[i].final == final && g->nodes[i].column == column)
            return i;
    int id = add_node(g, column, false);
    g->nodes[id].final = final;
    g->nodes[id].h = 1;
    return id;
}

/* Every parent's edge, from box to box between neighbouring columns, through pass-through lines
 * across the columns between. */
static void make_edges(graph *g, const iv_causal *c, const int *node_of)
{
    for (int v = c->n_inputs; v < c->n_vars; v++)
        for (int k = 0; k < c->vars[v].n_parents; k++) {
            int from = node_of[c->vars[v].parents[k]], to = node_of[v];
            int a = g->nodes[from].column, b = g->nodes[to].column;
            for (int col = a + 1; col < b; col++) {
                int via = pass_through(g, to, col);
                add_edge(g, from, via);
                from = via;
            }
            add_edge(g, from, to);
        }
}

/* ---- placing them ---------------------------------------------------------------------------------- */

/* Lanes in the channel before column `column`: one per node of the column with edges in. */
static int lanes_before(const graph *g, int column, int *lane_of)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        lane_of[i] = -1;
    /* In the order of the nodes' rows, top first, so lanes cross the fewest lines. */
    for (int pass = 0; pass < g->n_nodes; pass++) {
        int best = -1;
        for (int i = 0; i < g->n_nodes; i++) {
            if (g->nodes[i].column != column || lane_of[i] >= 0)
                continue;
            bool fed = false;
            for (int e = 0; e < g->n_edges && !fed; e++)
                fed = g->edges[e].to == i;
            if (fed && (best < 0 || g->nodes[i].entry < g->nodes[best].entry))
                best = i;
        }
        if (best < 0)
            break;
        lane_of[best] = n++;
    }
    return n;
}

static void place(graph *g)
{
    g->n_columns = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].column + 1 > g->n_columns)
            g->n_columns = g->nodes[i].column + 1;
    /* Rows: each column's boxes, then its pass-through lines, a blank line between two, the
     * columns centred on the tallest. */
    int col_h[MAX_COLUMNS] = {0};
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < g->n_nodes; i++) {
            node *n = &g->nodes[i];
            if (n->box != (pass == 0))
                continue;
            n->y = col_h[n->column] + (col_h[n->column] ? 1 : 0);
            col_h[n->column] = n->y + n->h;
        }
    g->height = 0;
    for (int k = 0; k < g->n_columns; k++)
        g->height = col_h[k] > g->height ? col_h[k] : g->height;
    for (int k = 0; k < g->n_columns; k++)
        g->col_w[k] = 1;
    for (int i = 0; i < g->n_nodes; i++) {
        node *n = &g->nodes[i];
        n->y += (g->height - col_h[n->column]) / 2;
        n->entry = n->exit = n->y + (n->box && n->h > 1 ? 1 : 0); /* a framed box's text line */
        if (n->box && n->w > g->col_w[n->column])
            g->col_w[n->column] = n->w;
    }
    /* Columns: each after the channel of lanes before it. */
    int *lane_of = iv_xmalloc(sizeof(int) * (size_t)g->n_nodes), x = 0;
    for (int k = 0; k < g->n_columns; k++) {
        if (k > 0)
            x += 2 * lanes_before(g, k, lane_of) + 2;
        g->col_x[k] = x;
        x += g->col_w[k];
    }
    free(lane_of);
    g->width = x;
    for (int i = 0; i < g->n_nodes; i++) {
        node *n = &g->nodes[i];
        n->x = g->col_x[n->column];
        if (!n->box)
            n->w = g->col_w[n->column];
    }
}

/* ---- the lines --------------------------------------------------------------------------------------- */

/* What crosses a cell: the directions of each net's line there. A net is named by its parent
 * (src, -1 for none) and the box its edges go to (dst). */
#define PER_CELL 8
typedef struct mark {
    unsigned char bits;
    int src, dst;
} mark;
typedef struct cell {
    mark m[PER_CELL];
    int n;
} cell;

typedef struct canvas_grid {
    cell *cells; /* (height, width) */
    int width, height;
} canvas_grid;

static void mark_cell(canvas_grid *cg, int y, int x, unsigned char bits, int src, int dst)
{
    if (y < 0 || y >= cg->height || x < 0 || x >= cg->width)
        return;
    cell *c = &cg->cells[y * cg->width + x];
    for (int i = 0; i < c->n; i++)
        if (c->m[i].src == src && c->m[i].dst == dst) {
            c->m[i].bits |= bits;
            return;
        }
    if (c->n < PER_CELL)
        c->m[c->n++] = (mark){bits, src, dst};
    else
        c->m[PER_CELL - 1].bits |= bits;
}

static void horizontal(canvas_grid *cg, int y, int x0, int x1, int src, int dst)
{
    if (x1 < x0) {
        int t = x0;
        x0 = x1;
        x1 = t;
    }
    for (int x = x0; x <= x1; x++)
        mark_cell(cg, y, x, (unsigned char)((x > x0 ? W : 0) | (x < x1 ? E : 0)), src, dst);
}

static void vertical(canvas_grid *cg, int x, int y0, int y1, int src, int dst)
{
    if (y1 < y0) {
        int t = y0;
        y0 = y1;
        y1 = t;
    }
    for (int y = y0; y <= y1; y++)
        mark_cell(cg, y, x, (unsigned char)((y > y0 ? N : 0) | (y < y1 ? S : 0)), src, dst);
}

/* The lines of one channel: for each node of the column after it with edges in, its lane from
 * its parents' rows to its own, the parents' lines to the lane, the lane's line to the node. */
static void draw_channel(const graph *g, canvas_grid *cg, int column)
{
    int *lane_of = iv_xmalloc(sizeof(int) * (size_t)g->n_nodes);
    lanes_before(g, column, lane_of);
    int start = g->col_x[column - 1] + g->col_w[column - 1];
    for (int i = 0; i < g->n_nodes; i++) {
        if (lane_of[i] < 0)
            continue;
        const node *child = &g->nodes[i];
        int lane = start + 1 + 2 * lane_of[i], top = child->entry, bottom = child->entry;
        int lane_src = -2 - i; /* a lane's own name: it joins its child's net only */
        for (int e = 0; e < g->n_edges; e++) {
            if (g->edges[e].to != i)
                continue;
            const node *p = &g->nodes[g->edges[e].from];
            int src = p->box ? g->edges[e].from : -1;
            horizontal(cg, p->exit, p->x + p->w, lane, src, child->final);
            top = p->exit < top ? p->exit : top;
            bottom = p->exit > bottom ? p->exit : bottom;
        }
        vertical(cg, lane, top, bottom, lane_src, child->final);
        horizontal(cg, child->entry, lane, child->x - 1, lane_src, child->final);
    }
    free(lane_of);
}

/* The glyph of a set of directions. */
static const char *line_glyph(unsigned bits)
{
    static const char *const utf8[16] = {" ", "│", "─", "└", "│", "│", "┌", "├",
                                         "─", "┘", "─", "┴", "┐", "┤", "┬", "┼"};
    static const char *const ascii[16] = {" ", "|", "-", "+", "|", "|", "+", "+",
                                          "-", "+", "-", "+", "+", "+", "+", "+"};
    return (tui_glyphs_ascii() ? ascii : utf8)[bits & 15];
}

static bool related(const mark *a, const mark *b)
{
    return (a->src >= 0 && a->src == b->src) || a->dst == b->dst;
}

/* A cell's glyph: the union of its lines, save where a lane passes straight down across a line
 * passing straight along that is no part of its net: a crossing, the vertical line drawn whole
 * (a line that ends or turns here joins what it meets). */
static const char *cell_glyph(const cell *c)
{
    if (c->n == 0)
        return " ";
    int group[PER_CELL];
    for (int i = 0; i < c->n; i++)
        group[i] = i;
    for (int round = 0; round < c->n; round++) /* closure: few marks, a few rounds */
        for (int i = 0; i < c->n; i++)
            for (int j = 0; j < c->n; j++)
                if (related(&c->m[i], &c->m[j]) && group[j] > group[i])
                    group[j] = group[i];
    unsigned all = 0, bits_of[PER_CELL] = {0};
    for (int i = 0; i < c->n; i++) {
        all |= c->m[i].bits;
        bits_of[group[i]] |= c->m[i].bits;
    }
    bool down = false, along = false;
    for (int i = 0; i < c->n; i++) {
        down |= bits_of[i] == (N | S);
        along |= bits_of[i] == (E | W);
    }
    return line_glyph(down && along ? N | S : all);
}

/* ---- drawing --------------------------------------------------------------------------------------- */

static void box_frame(const graph *g, const node *n, const char **art, bool ascii)
{
    const char *h = ascii ? "-" : "─", *v = ascii ? "|" : "│";
    for (int y = n->y; y < n->y + n->h; y++)
        for (int x = n->x; x < n->x + n->w; x++) {
            bool top = y == n->y, bottom = y == n->y + n->h - 1;
            bool left = x == n->x, right = x == n->x + n->w - 1;
            const char *glyph = " ";
            if ((top || bottom) && (left || right))
                glyph = ascii ? "+" : top ? (left ? "┌" : "┐") : (left ? "└" : "┘");
            else if (top || bottom)
                glyph = h;
            else if (left || right)
                glyph = v;
            art[y * g->width + x] = glyph;
        }
}

/* The graph laid out and its lines drawn: art[y * width + x] is each cell's glyph, boxes framed
 * unless compact. */
typedef struct causal_art {
    graph g;
    const char **art;
} causal_art;

static bool build_art(const iv_workspace *ws, bool compact, causal_art *out)
{
    const iv_causal *c = ws->causal;
    memset(out, 0, sizeof *out);
    if (!c || c->n_vars == 0)
        return false;
    graph *g = &out->g;
    int *depth = iv_xmalloc(sizeof(int) * (size_t)c->n_vars);
    int *node_of = iv_xmalloc(sizeof(int) * (size_t)c->n_vars);
    depths(c, depth);
    make_boxes(g, ws, depth, node_of, compact);
    make_edges(g, c, node_of);
    place(g);
    free(depth);
    free(node_of);

    canvas_grid cg = {iv_xcalloc((size_t)(g->width * g->height), sizeof(cell)), g->width,
                      g->height};
    for (int k = 1; k < g->n_columns; k++)
        draw_channel(g, &cg, k);
    for (int i = 0; i < g->n_nodes; i++) /* a pass-through line across its column */
        if (!g->nodes[i].box)
            horizontal(&cg, g->nodes[i].y, g->nodes[i].x, g->nodes[i].x + g->nodes[i].w - 1, -1,
                       g->nodes[i].final);
    const char **art = iv_xmalloc(sizeof(char *) * (size_t)(g->width * g->height));
    for (int i = 0; i < g->width * g->height; i++)
        art[i] = cell_glyph(&cg.cells[i]);
    free(cg.cells);
    bool ascii = tui_glyphs_ascii();
    for (int i = 0; i < g->n_nodes; i++) {
        node *n = &g->nodes[i];
        if (!n->box)
            continue;
        if (compact)
            for (int x = n->x; x < n->x + n->w; x++)
                art[n->y * g->width + x] = " ";
        else
            box_frame(g, n, art, ascii);
        bool parent = false, child = false;
        for (int e = 0; e < g->n_edges; e++) {
            parent |= g->edges[e].from == i;
            child |= g->edges[e].to == i;
        }
        if (parent)
            art[n->exit * g->width + n->x + n->w - 1] = compact ? (ascii ? "-" : "─")
                                                                : (ascii ? "+" : "├");
        if (child && n->x > 0)
            art[n->entry * g->width + n->x - 1] = ">";
    }
    out->art = art;
    return true;
}

static void free_art(causal_art *a)
{
    free(a->art);
    free(a->g.nodes);
    free(a->g.edges);
}

/* One row of the art as a string. Caller frees. */
static char *art_row(const causal_art *a, int y)
{
    iv_buf row = {0};
    for (int x = 0; x < a->g.width; x++)
        iv_buf_printf(&row, "%s", a->art[y * a->g.width + x]);
    return row.data;
}

void tui_draw_causal(tui_canvas *cv, json_object *result)
{
    (void)result; /* the workspace's model, with its alignments as they are now */
    const iv_causal *c = cv->t->ws->causal;
    causal_art a;
    if (!build_art(cv->t->ws, false, &a))
        return;
    char head[256];
    snprintf(head, sizeof head, "causal model%s%s: inputs left, output %s last; ~ aligned neurons",
             c->origin ? " from " : "", c->origin ? c->origin : "", c->names[c->output]);
    tui_canvas_put(cv, 0, 0, head, tui_attr(cv->t->colour, TUI_ATTR_DIM));
    enum { TOP = 2 };
    for (int y = 0; y < a.g.height; y++) {
        char *row = art_row(&a, y);
        tui_canvas_put(cv, TOP + y, 0, row, A_NORMAL);
        free(row);
    }
    for (int i = 0; i < a.g.n_nodes; i++) {
        node *n = &a.g.nodes[i];
        if (!n->box)
            continue;
        tui_canvas_put(cv, TOP + n->y + 1, n->x + 2, n->text[0], A_BOLD);
        if (n->text[1][0])
            tui_canvas_put(cv, TOP + n->y + 2, n->x + 2, n->text[1],
                           tui_attr(cv->t->colour, TUI_ATTR_TITLE));
    }
    free_art(&a);
}

int tui_causal_compact_height(const iv_workspace *ws, int width)
{
    causal_art a;
    if (!build_art(ws, true, &a))
        return -1;
    int h = a.g.width + 1 <= width ? a.g.height : -1;
    free_art(&a);
    return h;
}

void tui_draw_causal_compact(const tui *t, const tui_rect *r, int row)
{
    causal_art a;
    if (!build_art(t->ws, true, &a))
        return;
    for (int y = 0; y < a.g.height; y++) {
        char *line = art_row(&a, y);
        tui_draw_padded(r, row + y, 0, r->w, "", A_NORMAL);
        tui_draw_text(r, row + y, 1, line, A_NORMAL);
        free(line);
    }
    for (int i = 0; i < a.g.n_nodes; i++) {
        node *n = &a.g.nodes[i];
        if (n->box)
            tui_draw_text(r, row + n->y, 1 + n->x + 1, n->text[0],
                          n->aligned ? (int)(tui_attr(t->colour, TUI_ATTR_TITLE) | A_BOLD)
                                     : (int)A_BOLD);
    }
    free_art(&a);
}
