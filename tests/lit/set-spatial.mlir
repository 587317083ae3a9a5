// RUN: goodhart-opt %s --goodhart-set-spatial=size=20 | FileCheck %s --check-prefix=EVEN
// RUN: goodhart-opt %s --goodhart-set-spatial=size=17 | FileCheck %s --check-prefix=ODD
// RUN: goodhart-opt %corpus/smallcnn.mlir --goodhart-set-spatial=size=64 | FileCheck %s --check-prefix=SMALLCNN
// RUN: not goodhart-opt %s --goodhart-set-spatial=size=0 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not goodhart-opt %corpus/smallcnn.mlir --goodhart-set-spatial=size=1 2>&1 | FileCheck %s --check-prefix=SMALL

// A strided stem, a trimmed stride-2 shortcut and a global pool, written as
// an exporter writes them at 16x16 (mlir/zoo/TosaModelBuilder.cpp).

// At 20 the stem's 3x3 stride-2 window keeps pad 1 before and 0 after, the
// shortcut still cuts one row, and the pool's kernel follows.
// EVEN-LABEL: func.func @stem
// EVEN-SAME: %{{.*}}: tensor<1x20x20x3xf32>
// EVEN: tosa.conv2d {{.*}} pad = array<i64: 1, 0, 1, 0>, stride = array<i64: 2, 2>} {{.*}} -> tensor<1x10x10x8xf32>
// EVEN: tosa.const_shape {values = dense<[1, 9, 9, 8]>
// EVEN: tosa.slice {{.*}} -> tensor<1x9x9x8xf32>
// EVEN: tosa.conv2d {{.*}} pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} {{.*}} -> tensor<1x5x5x16xf32>
// EVEN: tosa.avg_pool2d {{.*}} kernel = array<i64: 5, 5>, {{.*}} -> tensor<1x1x1x16xf32>
// EVEN: return {{.*}} : tensor<1x1x16xf32>

// At 17 (odd) the stem pads 1 after (PyTorch: floor((17 + 2 - 3) / 2) + 1 =
// 9 outputs); the shortcut's input, 9 rows, needs no cut: the slice keeps it
// whole, so the layer count stays.
// ODD: tosa.conv2d {{.*}} pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} {{.*}} -> tensor<1x9x9x8xf32>
// ODD: tosa.const_shape {values = dense<[1, 9, 9, 8]>
// ODD: tosa.slice {{.*}} -> tensor<1x9x9x8xf32>
// ODD: tosa.conv2d {{.*}} -> tensor<1x5x5x16xf32>
// ODD: tosa.avg_pool2d {{.*}} kernel = array<i64: 5, 5>

// The corpus model: 56 -> 64, the global pool over 16x16.
// SMALLCNN: func.func @smallcnn(%{{.*}}: tensor<1x64x64x64xf32>
// SMALLCNN: tosa.conv2d {{.*}} -> tensor<1x32x32x128xf32>
// SMALLCNN: tosa.max_pool2d {{.*}} -> tensor<1x16x16x128xf32>
// SMALLCNN: tosa.avg_pool2d {{.*}} kernel = array<i64: 16, 16>
// SMALLCNN: tosa.matmul {{.*}} -> tensor<1x1x1000xf32>

// ZERO: goodhart-set-spatial needs size=N > 0
// SMALL: 'tosa.max_pool2d' op has a 2-wide window over 1 rows after the input size change: the input is too small

func.func @stem(
    %x: tensor<1x16x16x3xf32>,
    %w1: tensor<8x3x3x3xf32> {goodhart.weight}, %b1: tensor<8xf32> {goodhart.weight},
    %w2: tensor<16x1x1x8xf32> {goodhart.weight}, %b2: tensor<16xf32> {goodhart.weight}) -> tensor<1x1x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 0, 1, 0>, stride = array<i64: 2, 2>} : (tensor<1x16x16x3xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x8xf32> loc("stem.conv")
  %start = tosa.const_shape {values = dense<0> : tensor<4xindex>} : () -> !tosa.shape<4>
  %size = tosa.const_shape {values = dense<[1, 7, 7, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %t = tosa.slice %c1, %start, %size : (tensor<1x8x8x8xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x7x7x8xf32> loc("down.trim")
  %c2 = tosa.conv2d %t, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x7x7x8xf32>, tensor<16x1x1x8xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x16xf32>
  %p = tosa.avg_pool2d %c2, %zp, %zp {acc_type = f32, kernel = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x16xf32>
  %shape = tosa.const_shape {values = dense<[1, 1, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %f = tosa.reshape %p, %shape : (tensor<1x1x1x16xf32>, !tosa.shape<3>) -> tensor<1x1x16xf32>
  return %f : tensor<1x1x16xf32>
}
