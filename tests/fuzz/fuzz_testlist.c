/*
 * libFuzzer entry point: testlist_feed, whole and in random
 * pieces, then testlist_finish. The checks are in tests/fuzz/targets.h.
 */
#include "tests/fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_testlist(data, size);
}
