/*
 * libFuzzer entry point: planfile_read. The checks are in
 * tests/fuzz/targets.h.
 */
#include "tests/fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_planfile(data, size);
}
