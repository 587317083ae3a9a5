//===- TorchStyle.h - A module written the way torch-mlir exports -*- C++
//-*-===//
#ifndef GOODHART_TESTS_MLIR_TORCHSTYLE_H
#define GOODHART_TESTS_MLIR_TORCHSTYLE_H

namespace goodhart::testing {

/// NCHW input transposed to NHWC, weights as tosa.const, a strided
/// convolution with trimmed bottom/right padding, a classifier made of
/// reshape + matmul + add, and a final reshape: no goodhart annotations.
inline const char *kTorchStyleModule = R"mlir(
func.func @forward(%arg0: tensor<1x3x8x8xf32>) -> tensor<1x10xf32> {
  %t = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x3x8x8xf32>) -> tensor<1x8x8x3xf32>
  %w = "tosa.const"() <{values = dense<0.5> : tensor<16x3x3x3xf32>}> : () -> tensor<16x3x3x3xf32>
  %b = "tosa.const"() <{values = dense<0.1> : tensor<16xf32>}> : () -> tensor<16xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tosa.conv2d %t, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 0, 1, 0>, stride = array<i64: 2, 2>} : (tensor<1x8x8x3xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x16xf32>
  %r = tosa.clamp %c {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  %s1 = tosa.const_shape {values = dense<[1, 1, 256]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %f = tosa.reshape %r, %s1 : (tensor<1x4x4x16xf32>, !tosa.shape<3>) -> tensor<1x1x256xf32>
  %fw = "tosa.const"() <{values = dense<0.01> : tensor<1x256x10xf32>}> : () -> tensor<1x256x10xf32>
  %mm = tosa.matmul %f, %fw, %zp, %zp : (tensor<1x1x256xf32>, tensor<1x256x10xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x10xf32>
  %fb = "tosa.const"() <{values = dense<0.2> : tensor<1x1x10xf32>}> : () -> tensor<1x1x10xf32>
  %a = tosa.add %mm, %fb : (tensor<1x1x10xf32>, tensor<1x1x10xf32>) -> tensor<1x1x10xf32>
  %s2 = tosa.const_shape {values = dense<[1, 10]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %o = tosa.reshape %a, %s2 : (tensor<1x1x10xf32>, !tosa.shape<2>) -> tensor<1x10xf32>
  return %o : tensor<1x10xf32>
}
)mlir";

} // namespace goodhart::testing

#endif // GOODHART_TESTS_MLIR_TORCHSTYLE_H
