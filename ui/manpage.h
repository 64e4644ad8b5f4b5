/* manpage.h - the manual page, generated from the command and key tables. */
#ifndef IV_MANPAGE_H
#define IV_MANPAGE_H

#include <stdio.h>

void ui_write_manpage(FILE *f, const char *version);

#endif
