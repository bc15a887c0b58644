/*
 * Functions that are easy to misuse: unbounded copies, formatting without a
 * size, number parsing without an end pointer, and global-state tokenisers.
 * Included last by every .c file of the project (git's banned.h).
 */
#ifndef SHARD_BANNED_H
#define SHARD_BANNED_H

#define SHARD_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) SHARD_BANNED(strcpy)
#undef strcat
#define strcat(x, y) SHARD_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) SHARD_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) SHARD_BANNED(strncat)
#undef sprintf
#define sprintf(...) SHARD_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) SHARD_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) SHARD_BANNED(strtok)
#undef atoi
#define atoi(x) SHARD_BANNED(atoi)
#undef atol
#define atol(x) SHARD_BANNED(atol)
#undef atof
#define atof(x) SHARD_BANNED(atof)
#undef gets
#define gets(x) SHARD_BANNED(gets)

#endif
