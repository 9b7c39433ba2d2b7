/*
 * Edit distance for suggestions, with one row of the table: short strings
 * only (keys, flag names, enum values), so a fixed row is enough.
 */
#include <stdint.h>
#include <string.h>

#include "suggest.h"
#include "banned.h"

size_t ep_suggest__distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[128];

	if (la >= sizeof(row) / sizeof(row[0]) || lb >= sizeof(row) / sizeof(row[0]))
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}
