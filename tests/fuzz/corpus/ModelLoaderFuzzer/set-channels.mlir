// RUN: goodhart-opt %s --goodhart-set-channels="layer=block.conv1 channels=65" | FileCheck %s --check-prefix=CONV1
// RUN: goodhart-opt %s --goodhart-set-channels="layer=block.conv2 channels=63" | FileCheck %s --check-prefix=CONV2
// RUN: goodhart-opt %s --goodhart-set-channels="layer=head.conv channels=250" | FileCheck %s --check-prefix=HEAD

// A residual block and a classifier head, as in corpus/smallcnn.mlir.

// conv1's output channels reach conv2's input channels, nothing else.
// CONV1-LABEL: func.func @block
// CONV1-SAME: %{{.*}}: tensor<1x8x8x16xf32>
// CONV1-SAME: %{{.*}}: tensor<65x3x3x16xf32> {goodhart.weight}
// CONV1-SAME: %{{.*}}: tensor<65xf32> {goodhart.weight}
// CONV1-SAME: %{{.*}}: tensor<16x3x3x65xf32> {goodhart.weight}
// CONV1: tosa.conv2d {{.*}} -> tensor<1x8x8x65xf32>
// CONV1: tosa.clamp {{.*}} -> tensor<1x8x8x65xf32>
// CONV1: tosa.conv2d {{.*}} -> tensor<1x8x8x16xf32>

// conv2's output channels are tied to the block input by the residual add.
// CONV2-LABEL: func.func @block
// CONV2-SAME: %{{.*}}: tensor<1x8x8x63xf32>
// CONV2-SAME: %{{.*}}: tensor<16x3x3x63xf32> {goodhart.weight}
// CONV2: tosa.add {{.*}} -> tensor<1x8x8x63xf32>
// CONV2: tosa.conv2d {{.*}} (tensor<1x8x8x63xf32>, tensor<32x1x1x63xf32>

// The head's channels flow through pooling and the reshape into the matmul.
// HEAD: tosa.const_shape {values = dense<[1, 1, 250]>
// HEAD: tosa.matmul {{.*}} (tensor<1x1x250xf32>, tensor<1x250x10xf32>
// HEAD-SAME: -> tensor<1x1x10xf32>
// HEAD: return {{.*}} : tensor<1x1x10xf32>

func.func @block(
    %x: tensor<1x8x8x16xf32>,
    %w1: tensor<16x3x3x16xf32> {goodhart.weight}, %b1: tensor<16xf32> {goodhart.weight},
    %w2: tensor<16x3x3x16xf32> {goodhart.weight}, %b2: tensor<16xf32> {goodhart.weight},
    %w3: tensor<32x1x1x16xf32> {goodhart.weight}, %b3: tensor<32xf32> {goodhart.weight},
    %wfc: tensor<1x32x10xf32> {goodhart.weight}) -> tensor<1x1x10xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<16x3x3x16xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x16xf32> loc("block.conv1")
  %r1 = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  %c2 = tosa.conv2d %r1, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<16x3x3x16xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x16xf32> loc("block.conv2")
  %s = tosa.add %c2, %x : (tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  %c3 = tosa.conv2d %s, %w3, %b3, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<32x1x1x16xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x32xf32> loc("head.conv")
  %p = tosa.avg_pool2d %c3, %zp, %zp {acc_type = f32, kernel = array<i64: 8, 8>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x32xf32>
  %shape = tosa.const_shape {values = dense<[1, 1, 32]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %f = tosa.reshape %p, %shape : (tensor<1x1x1x32xf32>, !tosa.shape<3>) -> tensor<1x1x32xf32>
  %o = tosa.matmul %f, %wfc, %zp, %zp : (tensor<1x1x32xf32>, tensor<1x32x10xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x10xf32>
  return %o : tensor<1x1x10xf32>
}
