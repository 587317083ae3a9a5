//===- FakeNvml.cpp - A stand-in libnvidia-ml for NvmlLoaderTest ----------===//
//
// Exports the NVML entry points NvmlLoader resolves, with nvml.h's C
// signatures (enums as int, nvmlDevice_t as a pointer). One device, at PCI
// bus id 0000:01:00.0. Each clock reading alternates between 1980 MHz and
// 1500 MHz with a software power cap; the energy counter grows by 250 mJ per
// reading. Only the pre-535 name of the clock reasons call is exported, so
// the loader's fallback is exercised.
//
//===----------------------------------------------------------------------===//

#include <cstring>

namespace {
int device = 0;
int clockCalls = 0;
int reasonCalls = 0;
unsigned long long energy = 1000000;
bool initialized = false;
} // namespace

extern "C" {

int nvmlInit_v2() {
  initialized = true;
  return 0;
}

int nvmlShutdown() {
  initialized = false;
  return 0;
}

const char *nvmlErrorString(int result) {
  return result == 6 ? "Not Found" : "Unknown Error";
}

int nvmlDeviceGetHandleByPciBusId_v2(const char *busId, void **handle) {
  if (!initialized)
    return 1; // NVML_ERROR_UNINITIALIZED
  if (std::strcmp(busId, "0000:01:00.0") != 0)
    return 6; // NVML_ERROR_NOT_FOUND
  *handle = &device;
  return 0;
}

int nvmlSystemGetDriverVersion(char *version, unsigned length) {
  std::strncpy(version, "580.65.06", length);
  return 0;
}

int nvmlDeviceGetMaxClockInfo(void *handle, int type, unsigned *mhz) {
  if (handle != &device || type != 1) // NVML_CLOCK_SM
    return 2;                         // NVML_ERROR_INVALID_ARGUMENT
  *mhz = 1980;
  return 0;
}

int nvmlDeviceGetClockInfo(void *handle, int type, unsigned *mhz) {
  if (handle != &device || type != 1)
    return 2;
  *mhz = clockCalls++ % 2 == 0 ? 1980 : 1500;
  return 0;
}

int nvmlDeviceGetCurrentClocksThrottleReasons(void *handle,
                                              unsigned long long *reasons) {
  if (handle != &device)
    return 2;
  *reasons = reasonCalls++ % 2 == 0 ? 0x0ull : 0x4ull; // SwPowerCap
  return 0;
}

int nvmlDeviceGetTotalEnergyConsumption(void *handle, unsigned long long *mj) {
  if (handle != &device)
    return 2;
  energy += 250;
  *mj = energy;
  return 0;
}

} // extern "C"
