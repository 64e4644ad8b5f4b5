/* expr.h - small arithmetic and logical expressions over named variables.
 *
 * Used for a model's target (`max(x, y)`), dataset labels (`x > y`) and, later, the variables of
 * high-level causal models. Grammar, loosest first:
 *   cond    := or ('?' cond ':' cond)?
 *   or      := and (('||'|'or') and)*    and := cmp (('&&'|'and') cmp)*
 *   cmp     := sum (('<'|'<='|'>'|'>='|'=='|'!=') sum)?
 *   sum     := prod (('+'|'-') prod)*    prod := unary (('*'|'/'|'%') unary)*
 *   unary   := ('-'|'+'|'!'|'not') unary | power    power := atom ('^' unary)?
 *   atom    := NUMBER | NAME | NAME '(' args ')' | '(' cond ')' | 'true' | 'false'
 * Functions: max min (two or more arguments), abs relu exp log sqrt tanh sigmoid floor ceil sign.
 * Truth values are 1 and 0; any non-zero number is true. The words and, or, not are the same as
 * &&, ||, ! (a variable of that name wins where it could stand). */
#ifndef IV_EXPR_H
#define IV_EXPR_H

#include "util.h"

typedef struct iv_expr iv_expr;

/* Parses `text`; names must be among var_names (n_vars of them). On error returns NULL and the
 * message names the column, e.g. "column 5: unknown name 'z' (expected one of: x, y)". */
iv_expr *iv_expr_parse(const char *text, int n_vars, char *const *var_names, iv_error *err);
/* Evaluates with vars[i] the value of var_names[i]. Division by zero gives inf or nan, as in C. */
double iv_expr_eval(const iv_expr *e, const double *vars);
void iv_expr_free(iv_expr *e);
/* Sets reads[i] for every variable i the expression reads (reads has n_vars entries; others are
 * left as they are). */
void iv_expr_reads(const iv_expr *e, bool *reads);

#endif
