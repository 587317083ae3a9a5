// RUN: goodhart-opt %s --mlir-print-debuginfo --mlir-print-local-scope --goodhart-set-dtype="layer=* dtype=bf16" | FileCheck %s --check-prefix=ALL
// RUN: goodhart-opt %s --mlir-print-debuginfo --mlir-print-local-scope --goodhart-set-dtype="layer=conv dtype=f16" | FileCheck %s --check-prefix=ONE
// RUN: goodhart-opt %s --goodhart-set-dtype="layer=relu dtype=bf16" | FileCheck %s --check-prefix=RELU
// RUN: not goodhart-opt %s --goodhart-set-dtype="layer=conv dtype=f32" 2>&1 | FileCheck %s --check-prefix=SAME
// RUN: not goodhart-opt %s --goodhart-set-dtype="layer=* dtype=f64" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not goodhart-opt %s --goodhart-set-dtype="layer=nope dtype=f16" 2>&1 | FileCheck %s --check-prefix=NOLAYER

// The whole model: arguments, zero points, constants, results; acc_type stays f32;
// ReLU's bound becomes bf16's largest value.
// ALL-LABEL: func.func @m
// ALL-SAME: tensor<1x4x4x8xbf16>
// ALL-SAME: tensor<8x1x1x8xbf16> {goodhart.weight}
// ALL-SAME: -> tensor<1x1x8xbf16>
// ALL: tosa.const{{.*}}dense<0.000000e+00> : tensor<1xbf16>
// ALL: tosa.conv2d {{.*}}acc_type = f32{{.*}} -> tensor<1x4x4x8xbf16>
// ALL: tosa.clamp {{.*}}max_val = 3.389530e+38 : bf16, min_val = 0.000000e+00 : bf16
// ALL: tosa.matmul {{.*}} -> tensor<1x1x8xbf16>
// ALL-NOT: xf32>

// One layer: its weights retyped, its input cast in, its result cast back.
// ONE-LABEL: func.func @m
// ONE-SAME: %[[X:[^:]*]]: tensor<1x4x4x8xf32>
// ONE-SAME: tensor<8x1x1x8xf16> {goodhart.weight}
// ONE-SAME: tensor<8xf16> {goodhart.weight}
// ONE: %[[IN:.*]] = tosa.cast %[[X]] : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf16> loc("conv.cast_in0")
// ONE: %[[ZP:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf16>}>
// ONE: %[[C:.*]] = tosa.conv2d %[[IN]], %{{.*}}, %{{.*}}, %[[ZP]], %[[ZP]] {acc_type = f32{{.*}} -> tensor<1x4x4x8xf16> loc("conv")
// ONE: %[[OUT:.*]] = tosa.cast %[[C]] : (tensor<1x4x4x8xf16>) -> tensor<1x4x4x8xf32> loc("conv.cast_out")
// ONE: tosa.clamp %[[OUT]]
// The shared f32 zero point still serves the matmul.
// ONE: tosa.matmul {{.*}} : (tensor<1x1x8xf32>, tensor<1x8x8xf32>, tensor<1xf32>, tensor<1xf32>)

// RELU: tosa.clamp {{.*}}max_val = 3.389530e+38 : bf16, min_val = 0.000000e+00 : bf16{{.*}} -> tensor<1x4x4x8xbf16>

// SAME: error: {{.*}}'tosa.conv2d' op is layer 'conv', already 'f32'
// UNKNOWN: error: unknown element type 'f64'
// NOLAYER: error: no layer named 'nope'

func.func @m(%x: tensor<1x4x4x8xf32>, %w: tensor<8x1x1x8xf32> {goodhart.weight}, %b: tensor<8xf32> {goodhart.weight}, %wfc: tensor<1x8x8xf32> {goodhart.weight}) -> tensor<1x1x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x8xf32> loc("conv")
  %r = tosa.clamp %c {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("relu")
  %p = tosa.avg_pool2d %r, %zp, %zp {acc_type = f32, kernel = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x8xf32> loc("pool")
  %shape = tosa.const_shape {values = dense<[1, 1, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %f = tosa.reshape %p, %shape : (tensor<1x1x1x8xf32>, !tosa.shape<3>) -> tensor<1x1x8xf32> loc("flatten")
  %o = tosa.matmul %f, %wfc, %zp, %zp : (tensor<1x1x8xf32>, tensor<1x8x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x8xf32> loc("fc")
  return %o : tensor<1x1x8xf32>
}
