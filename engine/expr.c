/* expr.c - parsing expressions by recursive descent into a small tree, and evaluating the tree.
 *
 * The grammar and the functions are listed in expr.h. Every node lives in one arena owned by the
 * expression, so a parse error anywhere frees everything at once. */
#include "expr.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Hostile or generated input must not exhaust the stack. A level is a parenthesis, an argument
 * list, a ternary branch, a prefix operator or an exponent; the parser recurses only through those,
 * and the left-deep chains of binary operators that remain are bounded by the text's length. */
#define EXPR_MAX_DEPTH 200
#define EXPR_MAX_LENGTH 4096

typedef enum { K_NUM, K_VAR, K_NEG, K_NOT, K_BIN, K_COND, K_CALL } node_kind;

typedef enum {
    OP_OR, OP_AND, OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_POW,
} bin_op;

typedef enum {
    F_MAX, F_MIN, F_ABS, F_RELU, F_EXP, F_LOG, F_SQRT, F_TANH, F_SIGMOID, F_FLOOR, F_CEIL, F_SIGN,
} func_id;

typedef struct node {
    node_kind kind;
    int op;             /* bin_op for K_BIN, func_id for K_CALL */
    double value;       /* K_NUM */
    int var;            /* K_VAR */
    int n_args;
    struct node **args; /* operands: 1 (unary), 2 (binary), 3 (cond) or the call's arguments */
} node;

struct iv_expr {
    iv_arena *arena;
    node *root;
};

static const struct {
    const char *name;
    func_id id;
    int variadic; /* max and min take two or more arguments; the rest take exactly one */
} functions[] = {
    {"max", F_MAX, 1},         {"min", F_MIN, 1},       {"abs", F_ABS, 0},   {"relu", F_RELU, 0},
    {"exp", F_EXP, 0},         {"log", F_LOG, 0},       {"sqrt", F_SQRT, 0}, {"tanh", F_TANH, 0},
    {"sigmoid", F_SIGMOID, 0}, {"floor", F_FLOOR, 0},   {"ceil", F_CEIL, 0}, {"sign", F_SIGN, 0},
};

/* ---- parser state ------------------------------------------------------------------------------ */

typedef struct parser {
    const char *text;
    size_t pos;
    int depth;
    int n_vars;
    char *const *var_names;
    iv_arena *arena;
    iv_error *err;
} parser;

static void skip_blanks(parser *p)
{
    while (isspace((unsigned char)p->text[p->pos]))
        p->pos++;
}

/* The 1-based column of the next token, which is what every message points at. */
static int column(parser *p)
{
    skip_blanks(p);
    return (int)p->pos + 1;
}

static bool at(parser *p, const char *tok)
{
    skip_blanks(p);
    return strncmp(p->text + p->pos, tok, strlen(tok)) == 0;
}

static bool accept(parser *p, const char *tok)
{
    if (!at(p, tok))
        return false;
    p->pos += strlen(tok);
    return true;
}

/* A word operator (and, or, not): the word, then something that cannot continue a name. */
static bool accept_word(parser *p, const char *word)
{
    size_t len = strlen(word);
    if (!at(p, word))
        return false;
    char next = p->text[p->pos + len];
    if (isalnum((unsigned char)next) || next == '_')
        return false;
    p->pos += len;
    return true;
}

/* Whether a variable has this name: variables win over the word operators, as over the
 * keywords true and false. */
static bool is_variable(const parser *p, const char *name)
{
    for (int i = 0; i < p->n_vars; i++)
        if (strcmp(p->var_names[i], name) == 0)
            return true;
    return false;
}

/* Reports what was expected at the next token. */
static node *parse_error_expected(parser *p, const char *what)
{
    iv_error_set(p->err, "column %d: expected %s", column(p), what);
    return NULL;
}

static node *new_node(parser *p, node_kind kind, int n_args)
{
    node *n = iv_arena_alloc(p->arena, sizeof *n);
    n->kind = kind;
    n->n_args = n_args;
    if (n_args > 0)
        n->args = iv_arena_alloc(p->arena, (size_t)n_args * sizeof(node *));
    return n;
}

static node *new_binary(parser *p, int op, node *a, node *b)
{
    node *n = new_node(p, K_BIN, 2);
    n->op = op;
    n->args[0] = a;
    n->args[1] = b;
    return n;
}

/* Counts one level of nesting; fails once the cap is passed. Paired with leave(). */
static bool enter(parser *p)
{
    if (++p->depth > EXPR_MAX_DEPTH) {
        iv_error_set(p->err, "column %d: expression nested too deeply (more than %d levels)",
                     column(p), EXPR_MAX_DEPTH);
        return false;
    }
    return true;
}

static void leave(parser *p) { p->depth--; }

/* ---- grammar ----------------------------------------------------------------------------------- */

static node *parse_cond(parser *p);
static node *parse_unary(parser *p);

static node *parse_number(parser *p)
{
    int col = column(p);
    const char *s = p->text + p->pos;
    /* Scan the decimal form ourselves: strtod alone would also take hex, "inf" and "nan". */
    size_t n = 0;
    while (isdigit((unsigned char)s[n]))
        n++;
    if (s[n] == '.') {
        n++;
        while (isdigit((unsigned char)s[n]))
            n++;
    }
    if (s[n] == 'e' || s[n] == 'E') {
        size_t m = n + 1;
        if (s[m] == '+' || s[m] == '-')
            m++;
        if (isdigit((unsigned char)s[m])) {
            while (isdigit((unsigned char)s[m]))
                m++;
            n = m;
        }
    }
    if (n == 1 && s[0] == '.') {
        iv_error_set(p->err, "column %d: expected a number, found '.'", col);
        return NULL;
    }
    char *buf = iv_arena_alloc(p->arena, n + 1); /* the arena is freed with the expression */
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    if (errno == ERANGE && isinf(v)) {
        iv_error_set(p->err, "column %d: number '%s' is out of range", col, buf);
        return NULL;
    }
    p->pos += n;
    node *e = new_node(p, K_NUM, 0);
    e->value = v;
    return e;
}

static int find_function(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        if (strlen(functions[i].name) == len && strncmp(functions[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/* Parses '(' args ')' after a function name that started at column name_col. */
static node *parse_call(parser *p, const char *name, size_t len, int name_col)
{
    int f = find_function(name, len);
    if (f < 0) {
        iv_error_set(p->err, "column %d: unknown function '%.*s'", name_col, (int)len, name);
        return NULL;
    }
    int paren_col = column(p);
    accept(p, "(");
    /* The argument list grows in the arena: the waste is small and an error frees it all. */
    node **args = NULL;
    int n = 0, cap = 0;
    if (!at(p, ")")) {
        do {
            node *a = parse_cond(p);
            if (!a)
                return NULL;
            if (n == cap) {
                cap = cap ? 2 * cap : 4;
                node **grown = iv_arena_alloc(p->arena, (size_t)cap * sizeof(node *));
                if (n)
                    memcpy(grown, args, (size_t)n * sizeof(node *));
                args = grown;
            }
            args[n++] = a;
        } while (accept(p, ","));
    }
    if (!accept(p, ")"))
        return parse_error_expected(p, "')'");
    if (functions[f].variadic && n < 2) {
        iv_error_set(p->err, "column %d: %s takes at least 2 arguments", paren_col,
                     functions[f].name);
        return NULL;
    }
    if (!functions[f].variadic && n != 1) {
        iv_error_set(p->err, "column %d: %s takes exactly 1 argument", paren_col,
                     functions[f].name);
        return NULL;
    }
    node *e = new_node(p, K_CALL, 0);
    e->op = (int)functions[f].id;
    e->n_args = n;
    e->args = args;
    return e;
}

static void unknown_name(parser *p, const char *name, size_t len, int col)
{
    iv_buf list = {0};
    for (int i = 0; i < p->n_vars; i++)
        iv_buf_printf(&list, "%s%s", i ? ", " : "", p->var_names[i]);
    if (p->n_vars)
        iv_error_set(p->err, "column %d: unknown name '%.*s' (expected one of: %s)", col, (int)len,
                     name, list.data);
    else
        iv_error_set(p->err, "column %d: unknown name '%.*s' (there are no variables)", col,
                     (int)len, name);
    iv_buf_free(&list);
}

static node *parse_name(parser *p)
{
    int col = column(p);
    const char *name = p->text + p->pos;
    size_t len = 0;
    while (isalnum((unsigned char)name[len]) || name[len] == '_')
        len++;
    p->pos += len;
    if (at(p, "("))
        return parse_call(p, name, len, col);
    /* Variables win over the keywords, so a model may have an input called "true". */
    for (int i = 0; i < p->n_vars; i++)
        if (strlen(p->var_names[i]) == len && strncmp(p->var_names[i], name, len) == 0) {
            node *e = new_node(p, K_VAR, 0);
            e->var = i;
            return e;
        }
    if ((len == 4 && strncmp(name, "true", 4) == 0) || (len == 5 && strncmp(name, "false", 5) == 0)) {
        node *e = new_node(p, K_NUM, 0);
        e->value = len == 4;
        return e;
    }
    unknown_name(p, name, len, col);
    return NULL;
}

static node *parse_atom(parser *p)
{
    skip_blanks(p);
    char c = p->text[p->pos];
    if (isdigit((unsigned char)c) || c == '.')
        return parse_number(p);
    if (isalpha((unsigned char)c) || c == '_')
        return parse_name(p);
    if (accept(p, "(")) {
        node *e = parse_cond(p);
        if (e && !accept(p, ")"))
            return parse_error_expected(p, "')'");
        return e;
    }
    if (c == '\0')
        return parse_error_expected(p, "a number, a name or '('");
    iv_error_set(p->err, "column %d: unexpected '%c'", column(p), c);
    return NULL;
}

/* power := atom ('^' unary)?  - the exponent is a unary, so 2^-1 works and 2^3^2 is 2^(3^2). */
static node *parse_power(parser *p)
{
    node *base = parse_atom(p);
    if (!base || !accept(p, "^"))
        return base;
    if (!enter(p))
        return NULL;
    node *exponent = parse_unary(p);
    leave(p);
    return exponent ? new_binary(p, OP_POW, base, exponent) : NULL;
}

/* Wraps the unary after a prefix '-' or '!' in a node of the given kind. */
static node *parse_prefixed(parser *p, node_kind kind)
{
    if (!enter(p))
        return NULL;
    node *operand = parse_unary(p);
    leave(p);
    if (!operand)
        return NULL;
    node *e = new_node(p, kind, 1);
    e->args[0] = operand;
    return e;
}

static node *parse_unary(parser *p)
{
    if (at(p, "!="))
        return parse_atom(p); /* reports "unexpected '!'" at the right column */
    if (accept(p, "-"))
        return parse_prefixed(p, K_NEG);
    if (accept(p, "!") || (!is_variable(p, "not") && accept_word(p, "not")))
        return parse_prefixed(p, K_NOT);
    if (accept(p, "+")) {
        if (!enter(p))
            return NULL;
        node *e = parse_unary(p);
        leave(p);
        return e;
    }
    return parse_power(p);
}

static node *parse_prod(parser *p)
{
    node *e = parse_unary(p);
    while (e) {
        int op;
        if (accept(p, "*"))
            op = OP_MUL;
        else if (accept(p, "/"))
            op = OP_DIV;
        else if (accept(p, "%"))
            op = OP_MOD;
        else
            break;
        node *rhs = parse_unary(p);
        e = rhs ? new_binary(p, op, e, rhs) : NULL;
    }
    return e;
}

static node *parse_sum(parser *p)
{
    node *e = parse_prod(p);
    while (e) {
        int op;
        if (accept(p, "+"))
            op = OP_ADD;
        else if (accept(p, "-"))
            op = OP_SUB;
        else
            break;
        node *rhs = parse_prod(p);
        e = rhs ? new_binary(p, op, e, rhs) : NULL;
    }
    return e;
}

/* Matches a comparison operator; the two-character ones are tried first. */
static int accept_comparison(parser *p)
{
    static const struct {
        const char *tok;
        int op;
    } ops[] = {{"<=", OP_LE}, {">=", OP_GE}, {"==", OP_EQ}, {"!=", OP_NE}, {"<", OP_LT}, {">", OP_GT}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (accept(p, ops[i].tok))
            return ops[i].op;
    return -1;
}

static node *parse_cmp(parser *p)
{
    node *e = parse_sum(p);
    if (!e)
        return NULL;
    int op = accept_comparison(p);
    if (op < 0)
        return e;
    node *rhs = parse_sum(p);
    if (!rhs)
        return NULL;
    /* a < b < c means something else in C than in mathematics; refuse it rather than guess. */
    int col = column(p);
    if (accept_comparison(p) >= 0) {
        iv_error_set(p->err, "column %d: comparisons cannot be chained (use &&)", col);
        return NULL;
    }
    return new_binary(p, op, e, rhs);
}

static node *parse_and(parser *p)
{
    node *e = parse_cmp(p);
    while (e && (accept(p, "&&") || accept_word(p, "and"))) {
        node *rhs = parse_cmp(p);
        e = rhs ? new_binary(p, OP_AND, e, rhs) : NULL;
    }
    return e;
}

static node *parse_or(parser *p)
{
    node *e = parse_and(p);
    while (e && (accept(p, "||") || accept_word(p, "or"))) {
        node *rhs = parse_and(p);
        e = rhs ? new_binary(p, OP_OR, e, rhs) : NULL;
    }
    return e;
}

static node *parse_cond_body(parser *p)
{
    node *test = parse_or(p);
    if (!test || !accept(p, "?"))
        return test;
    node *yes = parse_cond(p);
    if (!yes)
        return NULL;
    if (!accept(p, ":"))
        return parse_error_expected(p, "':'");
    node *no = parse_cond(p);
    if (!no)
        return NULL;
    node *e = new_node(p, K_COND, 3);
    e->args[0] = test;
    e->args[1] = yes;
    e->args[2] = no;
    return e;
}

static node *parse_cond(parser *p)
{
    if (!enter(p))
        return NULL;
    node *e = parse_cond_body(p);
    leave(p);
    return e;
}

/* Explains a token left over after a complete expression. */
static void trailing_error(parser *p)
{
    int col = column(p);
    const char *s = p->text + p->pos;
    if (s[0] == '=')
        iv_error_set(p->err, "column %d: '=' is not an operator (use == to compare)", col);
    else if ((s[0] == '&' || s[0] == '|') && s[1] != s[0])
        iv_error_set(p->err, "column %d: unexpected '%c' (use %c%c)", col, s[0], s[0], s[0]);
    else
        iv_error_set(p->err, "column %d: unexpected '%c'", col, s[0]);
}

/* ---- public ------------------------------------------------------------------------------------ */

iv_expr *iv_expr_parse(const char *text, int n_vars, char *const *var_names, iv_error *err)
{
    size_t len = strlen(text);
    if (len > EXPR_MAX_LENGTH) {
        iv_error_set(err, "expression is longer than %d characters", EXPR_MAX_LENGTH);
        return NULL;
    }
    parser p = {.text = text, .n_vars = n_vars, .var_names = var_names, .err = err};
    skip_blanks(&p);
    if (p.text[p.pos] == '\0') {
        iv_error_set(err, "empty expression");
        return NULL;
    }
    p.arena = iv_arena_new();
    node *root = parse_cond(&p);
    if (root && (skip_blanks(&p), p.text[p.pos] != '\0')) {
        trailing_error(&p);
        root = NULL;
    }
    if (!root) {
        iv_arena_free(p.arena);
        return NULL;
    }
    iv_expr *e = iv_arena_alloc(p.arena, sizeof *e);
    e->arena = p.arena;
    e->root = root;
    return e;
}

void iv_expr_free(iv_expr *e)
{
    if (e)
        iv_arena_free(e->arena); /* the expression itself lives in its arena */
}

/* ---- evaluation -------------------------------------------------------------------------------- */

static double eval_node(const node *n, const double *vars);

/* max and min propagate NaN whatever its position, so a broken input never hides. */
static double eval_extreme(const node *n, const double *vars, bool want_max)
{
    double best = eval_node(n->args[0], vars);
    for (int i = 1; i < n->n_args; i++) {
        double v = eval_node(n->args[i], vars);
        if (isnan(v) || isnan(best))
            best = NAN;
        else if (want_max ? v > best : v < best)
            best = v;
    }
    return best;
}

static double sigmoid(double x)
{
    /* Two forms so that exp never overflows for large |x|. */
    if (x >= 0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

static double eval_call(const node *n, const double *vars)
{
    if (n->op == F_MAX || n->op == F_MIN)
        return eval_extreme(n, vars, n->op == F_MAX);
    double x = eval_node(n->args[0], vars);
    switch ((func_id)n->op) {
    case F_ABS: return fabs(x);
    case F_RELU: return x > 0 ? x : (isnan(x) ? x : 0.0);
    case F_EXP: return exp(x);
    case F_LOG: return log(x);
    case F_SQRT: return sqrt(x);
    case F_TANH: return tanh(x);
    case F_SIGMOID: return sigmoid(x);
    case F_FLOOR: return floor(x);
    case F_CEIL: return ceil(x);
    case F_SIGN: return x > 0 ? 1.0 : x < 0 ? -1.0 : x; /* keeps 0 and NaN as they are */
    default: return NAN;
    }
}

static double eval_binary(const node *n, const double *vars)
{
    double a = eval_node(n->args[0], vars);
    /* && and || look at their right side only when needed, as in C. */
    if (n->op == OP_AND)
        return a != 0 && eval_node(n->args[1], vars) != 0;
    if (n->op == OP_OR)
        return a != 0 || eval_node(n->args[1], vars) != 0;
    double b = eval_node(n->args[1], vars);
    switch ((bin_op)n->op) {
    case OP_LT: return a < b;
    case OP_LE: return a <= b;
    case OP_GT: return a > b;
    case OP_GE: return a >= b;
    case OP_EQ: return a == b;
    case OP_NE: return a != b;
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    case OP_DIV: return a / b;
    case OP_MOD: return fmod(a, b);
    case OP_POW: return pow(a, b);
    default: return NAN;
    }
}

static double eval_node(const node *n, const double *vars)
{
    switch (n->kind) {
    case K_NUM: return n->value;
    case K_VAR: return vars[n->var];
    case K_NEG: return -eval_node(n->args[0], vars);
    case K_NOT: return eval_node(n->args[0], vars) == 0;
    case K_BIN: return eval_binary(n, vars);
    case K_COND:
        return eval_node(n->args[0], vars) != 0 ? eval_node(n->args[1], vars)
                                                : eval_node(n->args[2], vars);
    case K_CALL: return eval_call(n, vars);
    }
    return NAN;
}

double iv_expr_eval(const iv_expr *e, const double *vars) { return eval_node(e->root, vars); }

static void mark_reads(const node *n, bool *reads)
{
    if (n->kind == K_VAR)
        reads[n->var] = true;
    for (int i = 0; i < n->n_args; i++)
        mark_reads(n->args[i], reads);
}

void iv_expr_reads(const iv_expr *e, bool *reads) { mark_reads(e->root, reads); }
