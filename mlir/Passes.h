//===- Passes.h - goodhart's mutation passes --------------------*- C++ -*-===//
//
//   --goodhart-set-channels="layer=NAME channels=N"
//   --goodhart-refine-shapes
//   --goodhart-set-activation="layer=NAME activation=relu|relu6|silu|..."
//   --goodhart-set-dtype="layer=NAME|* dtype=f32|bf16|f16"
//   --goodhart-identity="seed=K"
//   --goodhart-move-stride="block=NAME position=N"
//   --goodhart-set-kernel="layer=NAME kernel=K"
//   --goodhart-set-groups="layer=NAME groups=G"
//   --goodhart-set-heads="scope=NAME|* heads=H"
//   --goodhart-set-head-dim="scope=NAME|* dim=D"
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_MLIR_PASSES_H
#define GOODHART_MLIR_PASSES_H

namespace goodhart {

/// Registers goodhart's passes with MLIR's global pass registry (for
/// goodhart-opt's command line).
void registerGoodhartPasses();

} // namespace goodhart

#endif // GOODHART_MLIR_PASSES_H
