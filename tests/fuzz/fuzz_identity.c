/*
 * libFuzzer entry point: identity keys, case keys and grouping
 * lengths. The checks are in tests/fuzz/targets.h.
 */
#include "tests/fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_identity(data, size);
}
