/*
 * libFuzzer entry point: the partition check on up to four shard
 * property sets built from the input. The checks are in
 * tests/fuzz/targets.h.
 */
#include "tests/fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_partition(data, size);
}
