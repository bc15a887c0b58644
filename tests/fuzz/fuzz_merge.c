/*
 * libFuzzer entry point: merge_run on up to three inputs, its
 * output read back. The checks are in tests/fuzz/targets.h.
 */
#include "tests/fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_merge(data, size);
}
