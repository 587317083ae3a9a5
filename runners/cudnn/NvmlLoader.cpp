//===- NvmlLoader.cpp - NVML loaded at run time, when present -------------===//

#include "runners/cudnn/NvmlLoader.h"

#include <dlfcn.h>

namespace goodhart::cuda {

// nvml.h, declared here: nvmlReturn_t and nvmlClockType_t are C enums (int),
// nvmlDevice_t an opaque pointer; NVML_SUCCESS is 0, NVML_CLOCK_SM is 1.
namespace {
using NvmlReturn = int;
using NvmlHandle = void *;
constexpr NvmlReturn kNvmlSuccess = 0;
constexpr int kNvmlClockSm = 1;
} // namespace

struct NvmlApi {
  NvmlReturn (*init)() = nullptr;                   // nvmlInit_v2
  NvmlReturn (*shutdown)() = nullptr;               // nvmlShutdown
  const char *(*errorString)(NvmlReturn) = nullptr; // nvmlErrorString
  NvmlReturn (*handleByPciBusId)(const char *, NvmlHandle *) = nullptr;
  NvmlReturn (*driverVersion)(char *, unsigned) = nullptr;
  NvmlReturn (*clockInfo)(NvmlHandle, int, unsigned *) = nullptr;
  NvmlReturn (*maxClockInfo)(NvmlHandle, int, unsigned *) = nullptr;
  NvmlReturn (*clockReasons)(NvmlHandle, unsigned long long *) = nullptr;
  NvmlReturn (*totalEnergy)(NvmlHandle, unsigned long long *) = nullptr;

  std::string message(NvmlReturn r) const {
    const char *s = errorString ? errorString(r) : nullptr;
    return s ? s : "NVML error " + std::to_string(r);
  }
};

namespace {

template <typename Fn> bool resolve(void *lib, const char *name, Fn &out) {
  out = reinterpret_cast<Fn>(dlsym(lib, name));
  return out != nullptr;
}

} // namespace

StatusOr<std::unique_ptr<NvmlDevice>>
NvmlDevice::open(const std::string &pciBusId, const std::string &library) {
  std::unique_ptr<NvmlDevice> d(new NvmlDevice());
  d->handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!d->handle) {
    const char *why = dlerror();
    return unsupported("NVML unavailable: cannot load " + library + " (" +
                       (why ? why : "dlopen failed") + ")");
  }
  d->api = std::make_unique<NvmlApi>();
  NvmlApi &a = *d->api;
  const bool required =
      resolve(d->handle, "nvmlInit_v2", a.init) &&
      resolve(d->handle, "nvmlShutdown", a.shutdown) &&
      resolve(d->handle, "nvmlDeviceGetHandleByPciBusId_v2",
              a.handleByPciBusId) &&
      resolve(d->handle, "nvmlDeviceGetClockInfo", a.clockInfo);
  if (!required)
    return unsupported("NVML unavailable: " + library +
                       " lacks nvmlInit_v2, nvmlShutdown, "
                       "nvmlDeviceGetHandleByPciBusId_v2 or "
                       "nvmlDeviceGetClockInfo");
  resolve(d->handle, "nvmlErrorString", a.errorString);
  resolve(d->handle, "nvmlSystemGetDriverVersion", a.driverVersion);
  resolve(d->handle, "nvmlDeviceGetMaxClockInfo", a.maxClockInfo);
  resolve(d->handle, "nvmlDeviceGetTotalEnergyConsumption", a.totalEnergy);
  // Renamed in driver 535; the old name stays exported for compatibility.
  if (!resolve(d->handle, "nvmlDeviceGetCurrentClocksEventReasons",
               a.clockReasons))
    resolve(d->handle, "nvmlDeviceGetCurrentClocksThrottleReasons",
            a.clockReasons);
  NvmlReturn r = a.init();
  if (r != kNvmlSuccess) {
    a.shutdown = nullptr; // not initialized: nothing to shut down
    return unsupported("NVML unavailable: nvmlInit_v2: " + a.message(r));
  }
  NvmlHandle device = nullptr;
  r = a.handleByPciBusId(pciBusId.c_str(), &device);
  if (r != kNvmlSuccess)
    return unsupported("NVML unavailable: no device at PCI bus id " + pciBusId +
                       ": " + a.message(r));
  d->device = device;
  unsigned mhz = 0;
  if (a.maxClockInfo &&
      a.maxClockInfo(device, kNvmlClockSm, &mhz) == kNvmlSuccess)
    d->maxSmClock = mhz;
  char version[96] = {0};
  if (a.driverVersion &&
      a.driverVersion(version, sizeof(version) - 1) == kNvmlSuccess)
    d->driver = version;
  return d;
}

NvmlDevice::~NvmlDevice() {
  if (api && api->shutdown)
    api->shutdown();
  if (handle)
    dlclose(handle);
}

NvmlReading NvmlDevice::read() const {
  NvmlReading r;
  unsigned mhz = 0;
  if (api->clockInfo(device, kNvmlClockSm, &mhz) == kNvmlSuccess)
    r.smClockMhz = mhz;
  unsigned long long value = 0;
  if (api->clockReasons && api->clockReasons(device, &value) == kNvmlSuccess)
    r.reasons = value;
  if (api->totalEnergy && api->totalEnergy(device, &value) == kNvmlSuccess)
    r.energyMj = value;
  return r;
}

} // namespace goodhart::cuda
