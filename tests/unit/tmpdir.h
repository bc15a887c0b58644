/*
 * Temporary directories for unit tests: made with mkdtemp, removed with
 * everything in them (no shell).
 */
#ifndef SHARD_TEST_TMPDIR_H
#define SHARD_TEST_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Remove path and, if it is a directory, everything below it. */
static inline int tmpdir_remove(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int r = 0;

	if (lstat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d))) {
		size_t n = strlen(path) + strlen(e->d_name) + 2;
		char *child;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		child = malloc(n);
		if (!child)
			return -1;
		snprintf(child, n, "%s/%s", path, e->d_name);
		r |= tmpdir_remove(child);
		free(child);
	}
	closedir(d);
	return r | rmdir(path);
}

#endif
