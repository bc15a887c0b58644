/*
 * libFuzzer entry point: junit_read_mem, plain and with recovery,
 * with every callback set. The checks are in tests/fuzz/targets.h.
 */
#include "tests/fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_junit(data, size);
}
