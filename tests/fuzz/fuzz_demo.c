/* fuzz_demo.c - libFuzzer target: lecture scripts (tui_demo_load), read from a file into their
 * steps and captions. Only the reader runs: curses is linked in with the explorer's code but never
 * started. */
#include "fuzz_util.h"
#include "tui.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = iv_fuzz_file_write("lecture.demo", data, size);
    iv_error err;
    tui_demo_free(tui_demo_load(path, &err));
    return 0;
}
