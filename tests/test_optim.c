/* test_optim.c - the optimiser against analytic cases: Adam's first step is lr in the direction
 * against the gradient whatever its size (the bias correction makes m1^ = g and m2^ = g^2), and on
 * a convex quadratic it reaches the minimum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "optim.h"

static void test_first_step_is_lr(void **state)
{
    (void)state;
    iv_adam a;
    iv_adam_init(&a, 3, 0.5);
    double p[3] = {1, 1, 1}, g[3] = {1e-3, -40, 7};
    iv_adam_step(&a, p, g);
    assert_float_equal(p[0], 0.5, 1e-9);
    assert_float_equal(p[1], 1.5, 1e-9);
    assert_float_equal(p[2], 0.5, 1e-9);
    assert_int_equal(a.t, 1);
    iv_adam_free(&a);
}

/* f(p) = sum_j c_j (p_j - t_j)^2, badly scaled on purpose: Adam's per-coordinate steps cope. */
static void test_quadratic_minimum(void **state)
{
    (void)state;
    const double c[2] = {1000, 0.01}, target[2] = {3, -2};
    double p[2] = {0, 0}, g[2];
    iv_adam a;
    iv_adam_init(&a, 2, 0.05);
    for (int step = 0; step < 3000; step++) {
        for (int j = 0; j < 2; j++)
            g[j] = 2 * c[j] * (p[j] - target[j]);
        iv_adam_step(&a, p, g);
    }
    assert_float_equal(p[0], 3, 1e-2);
    assert_float_equal(p[1], -2, 1e-2);
    iv_adam_free(&a);
}

/* The same gradients give the same steps, bit for bit. */
static void test_deterministic(void **state)
{
    (void)state;
    double runs[2][4];
    for (int r = 0; r < 2; r++) {
        iv_adam a;
        iv_adam_init(&a, 4, 0.1);
        double p[4] = {0.1, 0.2, 0.3, 0.4};
        for (int step = 0; step < 50; step++) {
            double g[4];
            for (int j = 0; j < 4; j++)
                g[j] = sin(p[j] * (j + 1)) + 0.01 * step;
            iv_adam_step(&a, p, g);
        }
        for (int j = 0; j < 4; j++)
            runs[r][j] = p[j];
        iv_adam_free(&a);
    }
    assert_memory_equal(runs[0], runs[1], sizeof runs[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_step_is_lr),
        cmocka_unit_test(test_quadratic_minimum),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
