/* test_expr.c - the expression parser and evaluator: precedence, truth values, every function and
 * every error message, with its column. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

static char *const xy[] = {"x", "y"};

/* Parses text over x and y, evaluates it at (x, y) and frees it. */
static double eval_xy(const char *text, double x, double y)
{
    iv_error err = {{0}};
    iv_expr *e = iv_expr_parse(text, 2, xy, &err);
    if (!e)
        fail_msg("'%s' did not parse: %s", text, err.msg);
    double vars[2] = {x, y};
    double v = iv_expr_eval(e, vars);
    iv_expr_free(e);
    return v;
}

static double eval0(const char *text) { return eval_xy(text, 0, 0); }

static void expect_error(const char *text, const char *msg)
{
    iv_error err = {{0}};
    iv_expr *e = iv_expr_parse(text, 2, xy, &err);
    if (e) {
        iv_expr_free(e);
        fail_msg("'%s' parsed but should not have", text);
    }
    assert_string_equal(err.msg, msg);
}

static void test_numbers(void **state)
{
    (void)state;
    assert_true(eval0("42") == 42);
    assert_true(eval0("1e3") == 1000);
    assert_true(eval0("2.5E-1") == 0.25);
    assert_true(eval0(".5") == 0.5);
    assert_true(eval0("2.") == 2);
    assert_true(eval0("  7  ") == 7);
    assert_true(eval0("true") == 1);
    assert_true(eval0("false") == 0);
}

static void test_precedence(void **state)
{
    (void)state;
    assert_true(eval0("1 + 2 * 3") == 7);
    assert_true(eval0("(1 + 2) * 3") == 9);
    assert_true(eval0("10 - 4 - 3") == 3);
    assert_true(eval0("8 / 4 / 2") == 1);
    assert_true(eval0("7 % 4") == 3);
    assert_true(eval0("-7 % 4") == -3); /* fmod keeps the sign of the dividend, as in C */
    assert_true(eval0("2 ^ 3 ^ 2") == 512);
    assert_true(eval0("-2 ^ 2") == -4);
    assert_true(eval0("2 ^ -1") == 0.5);
    assert_true(eval0("2 * 3 ^ 2") == 18);
    assert_true(eval0("1 + 2 > 2") == 1);
    assert_true(eval0("1 || 0 && 0") == 1);
    assert_true(eval0("0 && 1 || 1") == 1);
    assert_true(eval0("1 < 2 && 3 < 2") == 0);
    assert_true(eval0("- -3") == 3);
    assert_true(eval0("+3") == 3);
    assert_true(eval0("!0") == 1);
    assert_true(eval0("!5") == 0);
    assert_true(eval0("!!5") == 1);
    assert_true(eval0("!0 + 1") == 2);
    assert_true(eval0("true + true") == 2);
}

static void test_ternary(void **state)
{
    (void)state;
    assert_true(eval0("1 ? 2 : 3") == 2);
    assert_true(eval0("0 ? 2 : 3") == 3);
    assert_true(eval0("0 ? 2 : 0 ? 3 : 4") == 4);
    assert_true(eval0("1 ? 0 ? 5 : 6 : 7") == 6);
    assert_true(eval0("0.5 ? 1 : 2") == 1); /* any non-zero number is true */
    assert_true(eval_xy("x > y ? x : y", 3, 5) == 5);
    assert_true(eval_xy("x > y ? x : y", 6, 5) == 6);
    assert_true(eval0("1 + 1 ? 10 : 20") == 10);
}

static void test_comparisons(void **state)
{
    (void)state;
    assert_true(eval_xy("x < y", 1, 2) == 1);
    assert_true(eval_xy("x < y", 2, 2) == 0);
    assert_true(eval_xy("x <= y", 2, 2) == 1);
    assert_true(eval_xy("x > y", 3, 2) == 1);
    assert_true(eval_xy("x > y", 2, 3) == 0);
    assert_true(eval_xy("x >= y", 2, 2) == 1);
    assert_true(eval_xy("x == y", 2, 2) == 1);
    assert_true(eval_xy("x == y", 2, 3) == 0);
    assert_true(eval_xy("x != y", 2, 3) == 1);
    assert_true(eval_xy("x != y", 3, 3) == 0);
    assert_true(eval_xy("x > 1 && y > 1", 2, 2) == 1);
    assert_true(eval_xy("x > 1 || y > 1", 0, 0) == 0);
    assert_true(eval_xy("x && y", 3, -2) == 1); /* logic gives exactly 1, not either operand */
}

static void test_variables(void **state)
{
    (void)state;
    assert_true(eval_xy("x", 3, 4) == 3);
    assert_true(eval_xy("y", 3, 4) == 4);
    assert_true(eval_xy("x * 10 + y", 3, 4) == 34);
    assert_true(eval_xy("-x", 3, 4) == -3);
    assert_true(eval_xy("max(x, y)", 3, 4) == 4);
    /* A variable may shadow a keyword, and names may hold digits and underscores. */
    char *const names[] = {"true", "h_2"};
    iv_error err;
    iv_expr *e = iv_expr_parse("true + h_2", 2, names, &err);
    assert_non_null(e);
    double vars[2] = {5, 7};
    assert_true(iv_expr_eval(e, vars) == 12);
    iv_expr_free(e);
}

static void test_functions(void **state)
{
    (void)state;
    assert_true(eval0("max(1, 5, 3)") == 5);
    assert_true(eval0("max(-1, -5)") == -1);
    assert_true(eval0("min(4, 2, 8, 6)") == 2);
    assert_true(eval0("min(4, 2)") == 2);
    assert_true(eval0("abs(-3)") == 3);
    assert_true(eval0("abs(3)") == 3);
    assert_true(eval0("relu(-2)") == 0);
    assert_true(eval0("relu(2)") == 2);
    assert_true(eval0("exp(1)") == exp(1.0));
    assert_true(fabs(eval0("log(exp(2))") - 2) < 1e-15);
    assert_true(eval0("sqrt(16)") == 4);
    assert_true(fabs(eval0("tanh(0.5)") - tanh(0.5)) < 1e-15);
    assert_true(eval0("tanh(0)") == 0);
    assert_true(eval0("sigmoid(0)") == 0.5);
    assert_true(fabs(eval0("sigmoid(2)") - 1 / (1 + exp(-2))) < 1e-15);
    assert_true(eval0("sigmoid(-1000)") == 0); /* no overflow into NaN */
    assert_true(eval0("sigmoid(1000)") == 1);
    assert_true(eval0("floor(-1.5)") == -2);
    assert_true(eval0("ceil(-1.5)") == -1);
    assert_true(eval0("sign(-3)") == -1);
    assert_true(eval0("sign(0)") == 0);
    assert_true(eval0("sign(2.5)") == 1);
    assert_true(eval0("max(min(3, 9), abs(-4), relu(1))") == 4);
    assert_true(eval0("max ( 1 , 2 )") == 2);
}

static void test_special_values(void **state)
{
    (void)state;
    assert_true(isinf(eval0("1 / 0")) && eval0("1 / 0") > 0);
    assert_true(isnan(eval0("0 / 0")));
    assert_true(isnan(eval0("sqrt(-1)")));
    assert_true(isnan(eval0("max(0 / 0, 1)")));
    assert_true(isnan(eval0("max(1, 0 / 0)")));
    assert_true(eval0("max(2, 1/0)") > 1e308);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("z + 1", "column 1: unknown name 'z' (expected one of: x, y)");
    expect_error("x + y + z", "column 9: unknown name 'z' (expected one of: x, y)");
    expect_error("inf", "column 1: unknown name 'inf' (expected one of: x, y)");
    expect_error("nan", "column 1: unknown name 'nan' (expected one of: x, y)");
    expect_error("max(x, y", "column 9: expected ')'");
    expect_error("(x + y", "column 7: expected ')'");
    expect_error("foo(x)", "column 1: unknown function 'foo'");
    expect_error("x(1)", "column 1: unknown function 'x'");
    expect_error("max(1)", "column 4: max takes at least 2 arguments");
    expect_error("1 + min()", "column 8: min takes at least 2 arguments");
    expect_error("abs(x, y)", "column 4: abs takes exactly 1 argument");
    expect_error("sqrt()", "column 5: sqrt takes exactly 1 argument");
    expect_error("", "empty expression");
    expect_error("   ", "empty expression");
    expect_error("x +", "column 4: expected a number, a name or '('");
    expect_error("x ? 1", "column 6: expected ':'");
    expect_error("x = y", "column 3: '=' is not an operator (use == to compare)");
    expect_error("x & y", "column 3: unexpected '&' (use &&)");
    expect_error("x | y", "column 3: unexpected '|' (use ||)");
    expect_error("x < y < 1", "column 7: comparisons cannot be chained (use &&)");
    expect_error("1e999", "column 1: number '1e999' is out of range");
    expect_error("x $ y", "column 3: unexpected '$'");
    expect_error("x y", "column 3: unexpected 'y'");
    expect_error("0x10", "column 2: unexpected 'x'");
    expect_error("2 ** 3", "column 4: unexpected '*'");
    expect_error("max(1,,2)", "column 7: unexpected ','");
    expect_error(". + 1", "column 1: expected a number, found '.'");
    expect_error("x )", "column 3: unexpected ')'");
    expect_error("!= 1", "column 1: unexpected '!'");

    iv_error err;
    assert_null(iv_expr_parse("q", 0, NULL, &err));
    assert_string_equal(err.msg, "column 1: unknown name 'q' (there are no variables)");
    assert_null(iv_expr_parse("q", 0, NULL, NULL)); /* err may be NULL */
}

/* Builds open + "1" + close, each repeated n times. */
static char *nested(const char *open, const char *close, int n)
{
    size_t lo = strlen(open), lc = strlen(close);
    char *s = malloc((lo + lc) * (size_t)n + 2);
    char *p = s;
    for (int i = 0; i < n; i++, p += lo)
        memcpy(p, open, lo);
    *p++ = '1';
    for (int i = 0; i < n; i++, p += lc)
        memcpy(p, close, lc);
    *p = '\0';
    return s;
}

static void expect_nesting(const char *open, const char *close, int n, bool ok)
{
    char *text = nested(open, close, n);
    iv_error err;
    iv_expr *e = iv_expr_parse(text, 2, xy, &err);
    if (ok) {
        assert_non_null(e);
        double vars[2] = {0, 0};
        assert_false(isnan(iv_expr_eval(e, vars)));
    } else {
        assert_null(e);
        assert_non_null(strstr(err.msg, "nested too deeply (more than 200 levels)"));
    }
    iv_expr_free(e);
    free(text);
}

static void test_limits(void **state)
{
    (void)state;
    expect_nesting("(", ")", 150, true);
    expect_nesting("(", ")", 300, false);
    expect_nesting("-", "", 150, true);
    expect_nesting("-", "", 1000, false);
    expect_nesting("!", "", 1000, false);
    expect_nesting("+", "", 1000, false);
    expect_nesting("2^", "", 1000, false);
    expect_nesting("max(1,", ")", 150, true);
    expect_nesting("max(1,", ")", 500, false);
    expect_nesting("1?", ":1", 1000, false);

    /* A long flat chain is fine up to the length cap, and refused beyond it. */
    char *text = nested("1+", "", 2047);
    assert_int_equal(strlen(text), 4095);
    iv_error err;
    iv_expr *e = iv_expr_parse(text, 2, xy, &err);
    assert_non_null(e);
    assert_true(iv_expr_eval(e, (double[]){0, 0}) == 2048);
    iv_expr_free(e);
    free(text);
    text = nested("1+", "", 3000);
    assert_null(iv_expr_parse(text, 2, xy, &err));
    assert_string_equal(err.msg, "expression is longer than 4096 characters");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),     cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_ternary),     cmocka_unit_test(test_comparisons),
        cmocka_unit_test(test_variables),   cmocka_unit_test(test_functions),
        cmocka_unit_test(test_special_values), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
