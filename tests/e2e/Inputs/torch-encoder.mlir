// A ViT-style encoder block written the way torch-mlir exports PyTorch to
// TOSA: NCHW input with an explicit transpose, weights as tosa.const (one as
// dense_resource), softmax, layer norm, GELU (tanh) and SiLU decomposed, scalar
// constants of rank-3 shape [1, 1, 1]. No goodhart annotations, no names.
module {
  func.func @forward(%arg0: tensor<1x3x16x16xf32>) -> tensor<1x32xf32> {
    %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
    %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %0 = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x3x16x16xf32>) -> tensor<1x16x16x3xf32>
    %w0 = "tosa.const"() <{values = dense<0.05> : tensor<32x4x4x3xf32>}> : () -> tensor<32x4x4x3xf32>
    %b0 = "tosa.const"() <{values = dense<0.01> : tensor<32xf32>}> : () -> tensor<32xf32>
    %1 = tosa.conv2d %0, %w0, %b0, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 4, 4>} : (tensor<1x16x16x3xf32>, tensor<32x4x4x3xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x32xf32>
    %s0 = tosa.const_shape {values = dense<[1, 16, 32]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %2 = tosa.reshape %1, %s0 : (tensor<1x4x4x32xf32>, !tosa.shape<3>) -> tensor<1x16x32xf32>
    %inv32 = "tosa.const"() <{values = dense<3.125000e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %two = "tosa.const"() <{values = dense<2.000000e+00> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %eps = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = tosa.reduce_sum %2 {axis = 2 : i32} : (tensor<1x16x32xf32>) -> tensor<1x16x1xf32>
    %4 = tosa.mul %3, %inv32, %shift : (tensor<1x16x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x16x1xf32>
    %5 = tosa.sub %2, %4 : (tensor<1x16x32xf32>, tensor<1x16x1xf32>) -> tensor<1x16x32xf32>
    %6 = tosa.pow %5, %two : (tensor<1x16x32xf32>, tensor<1x1x1xf32>) -> tensor<1x16x32xf32>
    %7 = tosa.reduce_sum %6 {axis = 2 : i32} : (tensor<1x16x32xf32>) -> tensor<1x16x1xf32>
    %8 = tosa.mul %7, %inv32, %shift : (tensor<1x16x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x16x1xf32>
    %9 = tosa.add %8, %eps : (tensor<1x16x1xf32>, tensor<1x1x1xf32>) -> tensor<1x16x1xf32>
    %10 = tosa.rsqrt %9 : (tensor<1x16x1xf32>) -> tensor<1x16x1xf32>
    %11 = tosa.mul %5, %10, %shift : (tensor<1x16x32xf32>, tensor<1x16x1xf32>, tensor<1xi8>) -> tensor<1x16x32xf32>
    %g = "tosa.const"() <{values = dense<1.0> : tensor<1x1x32xf32>}> : () -> tensor<1x1x32xf32>
    %be = "tosa.const"() <{values = dense_resource<torch_tensor_32_torch.float32> : tensor<1x1x32xf32>}> : () -> tensor<1x1x32xf32>
    %12 = tosa.mul %11, %g, %shift : (tensor<1x16x32xf32>, tensor<1x1x32xf32>, tensor<1xi8>) -> tensor<1x16x32xf32>
    %13 = tosa.add %12, %be : (tensor<1x16x32xf32>, tensor<1x1x32xf32>) -> tensor<1x16x32xf32>
    %wq = "tosa.const"() <{values = dense<0.02> : tensor<1x32x32xf32>}> : () -> tensor<1x32x32xf32>
    %wk = "tosa.const"() <{values = dense<0.03> : tensor<1x32x32xf32>}> : () -> tensor<1x32x32xf32>
    %wv = "tosa.const"() <{values = dense<0.04> : tensor<1x32x32xf32>}> : () -> tensor<1x32x32xf32>
    %q = tosa.matmul %13, %wq, %zp, %zp : (tensor<1x16x32xf32>, tensor<1x32x32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x16x32xf32>
    %k = tosa.matmul %13, %wk, %zp, %zp : (tensor<1x16x32xf32>, tensor<1x32x32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x16x32xf32>
    %v = tosa.matmul %13, %wv, %zp, %zp : (tensor<1x16x32xf32>, tensor<1x32x32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x16x32xf32>
    %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<1x16x32xf32>) -> tensor<1x32x16xf32>
    %sc = tosa.matmul %q, %kt, %zp, %zp : (tensor<1x16x32xf32>, tensor<1x32x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x16x16xf32>
    %scale = "tosa.const"() <{values = dense<0.176776692> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %14 = tosa.mul %sc, %scale, %shift : (tensor<1x16x16xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x16x16xf32>
    %15 = tosa.reduce_max %14 {axis = 2 : i32} : (tensor<1x16x16xf32>) -> tensor<1x16x1xf32>
    %16 = tosa.sub %14, %15 : (tensor<1x16x16xf32>, tensor<1x16x1xf32>) -> tensor<1x16x16xf32>
    %17 = tosa.exp %16 : (tensor<1x16x16xf32>) -> tensor<1x16x16xf32>
    %18 = tosa.reduce_sum %17 {axis = 2 : i32} : (tensor<1x16x16xf32>) -> tensor<1x16x1xf32>
    %19 = tosa.reciprocal %18 : (tensor<1x16x1xf32>) -> tensor<1x16x1xf32>
    %20 = tosa.mul %17, %19, %shift : (tensor<1x16x16xf32>, tensor<1x16x1xf32>, tensor<1xi8>) -> tensor<1x16x16xf32>
    %21 = tosa.matmul %20, %v, %zp, %zp : (tensor<1x16x16xf32>, tensor<1x16x32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x16x32xf32>
    %22 = tosa.add %21, %2 : (tensor<1x16x32xf32>, tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
    %w1 = "tosa.const"() <{values = dense<0.01> : tensor<1x32x64xf32>}> : () -> tensor<1x32x64xf32>
    %23 = tosa.matmul %22, %w1, %zp, %zp : (tensor<1x16x32xf32>, tensor<1x32x64xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x16x64xf32>
    %three = "tosa.const"() <{values = dense<3.000000e+00> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %c044 = "tosa.const"() <{values = dense<4.471500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %c079 = "tosa.const"() <{values = dense<0.797884583> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %one = "tosa.const"() <{values = dense<1.000000e+00> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %half = "tosa.const"() <{values = dense<5.000000e-01> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %24 = tosa.pow %23, %three : (tensor<1x16x64xf32>, tensor<1x1x1xf32>) -> tensor<1x16x64xf32>
    %25 = tosa.mul %24, %c044, %shift : (tensor<1x16x64xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x16x64xf32>
    %26 = tosa.add %23, %25 : (tensor<1x16x64xf32>, tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
    %27 = tosa.mul %26, %c079, %shift : (tensor<1x16x64xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x16x64xf32>
    %28 = tosa.tanh %27 : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
    %29 = tosa.add %28, %one : (tensor<1x16x64xf32>, tensor<1x1x1xf32>) -> tensor<1x16x64xf32>
    %30 = tosa.mul %23, %29, %shift : (tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1xi8>) -> tensor<1x16x64xf32>
    %31 = tosa.mul %30, %half, %shift : (tensor<1x16x64xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x16x64xf32>
    %w2 = "tosa.const"() <{values = dense<0.01> : tensor<1x64x32xf32>}> : () -> tensor<1x64x32xf32>
    %32 = tosa.matmul %31, %w2, %zp, %zp : (tensor<1x16x64xf32>, tensor<1x64x32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x16x32xf32>
    %33 = tosa.sigmoid %32 : (tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
    %34 = tosa.mul %33, %32, %shift : (tensor<1x16x32xf32>, tensor<1x16x32xf32>, tensor<1xi8>) -> tensor<1x16x32xf32>
    %inv16 = "tosa.const"() <{values = dense<6.250000e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %35 = tosa.reduce_sum %34 {axis = 1 : i32} : (tensor<1x16x32xf32>) -> tensor<1x1x32xf32>
    %36 = tosa.mul %35, %inv16, %shift : (tensor<1x1x32xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x1x32xf32>
    %s1 = tosa.const_shape {values = dense<[1, 32]> : tensor<2xindex>} : () -> !tosa.shape<2>
    %37 = tosa.reshape %36, %s1 : (tensor<1x1x32xf32>, !tosa.shape<2>) -> tensor<1x32xf32>
    return %37 : tensor<1x32xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      torch_tensor_32_torch.float32: "0x040000008FC275BD0AD7233CCDCC4CBD0AD7A33C0AD723BD8FC2F53C8FC2F5BC0AD7233D0AD7A3BCCDCC4C3D0AD723BC8FC2753D000000008FC275BD0AD7233CCDCC4CBD0AD7A33C0AD723BD8FC2F53C8FC2F5BC0AD7233D0AD7A3BCCDCC4C3D0AD723BC8FC2753D000000008FC275BD0AD7233CCDCC4CBD0AD7A33C0AD723BD8FC2F53C"
    }
  }
#-}
