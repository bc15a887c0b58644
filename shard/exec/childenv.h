/*
 * What shard keeps from the commands it starts. shard's own settings
 * that carry credentials, SHARD_HISTORY_TOKEN (the history store's
 * bearer token) and SHARD_HISTORY (a postgres:// URL may hold a
 * password), are for shard: a test or collect command has no use for
 * them and may print its environment in a failure message or a crash
 * report. Every child goes through runcmd's one child(), which scrubs
 * its environment with childenv_scrub, so no mode (shard run static,
 * --local, --queue, --collect, shard plan --collect) can forget it.
 *
 * The variables shard sets for the command on purpose (SHARD_INDEX,
 * SHARD_TOTAL, SHARD_TESTS_FILE, SHARD_JUNIT, DATABASE_URL, PG*) and
 * those that carry no secret (SHARD_RUN_ID, SHARD_SHARE_DIR) pass.
 */
#ifndef SHARD_CHILDENV_H
#define SHARD_CHILDENV_H

/* 1 when the "NAME=value" entry is one a child must not get. */
int childenv_private(const char *entry);

/*
 * Remove the private entries from the NULL-terminated envp in place,
 * keeping the others' order. No allocation and no locks: it is safe
 * between fork and exec.
 */
void childenv_scrub(char **envp);

#endif
