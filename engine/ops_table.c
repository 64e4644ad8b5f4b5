/* ops_table.c - the one table of operations, joined from its two halves: those of dense networks
 * (ops.c) and a transformer's (ops_transformer.c, which uses ops.c's linear algebra, so the join
 * sits above both). */
#include "ops.h"

const iv_op_type *iv_op_type_of(iv_op_kind kind)
{
    return kind >= IV_OP_EMBED ? iv_transformer_op_type(kind) : iv_dense_op_type(kind);
}

const char *iv_op_kind_name(iv_op_kind kind) { return iv_op_type_of(kind)->name; }
