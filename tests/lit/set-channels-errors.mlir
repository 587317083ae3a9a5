// RUN: not goodhart-opt %s --goodhart-set-channels="layer=nope channels=8" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not goodhart-opt %s --goodhart-set-channels="layer=act channels=8" 2>&1 | FileCheck %s --check-prefix=NOTCONV
// RUN: not goodhart-opt %s --goodhart-set-channels="layer=conv" 2>&1 | FileCheck %s --check-prefix=NOCOUNT

// UNKNOWN: error: no layer named 'nope'
// NOTCONV: error: {{.*}}'tosa.sigmoid' op is layer 'act', neither a convolution nor a linear layer
// NOCOUNT: error: goodhart-set-channels needs layer=NAME and channels=N > 0

func.func @m(%x: tensor<1x4x4x8xf32>, %w: tensor<8x1x1x8xf32>, %b: tensor<8xf32>) -> tensor<1x4x4x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x8xf32> loc("conv")
  %s = tosa.sigmoid %c : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("act")
  return %s : tensor<1x4x4x8xf32>
}
