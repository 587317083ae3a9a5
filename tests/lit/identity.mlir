// RUN: goodhart-opt %s --mlir-print-debuginfo --mlir-print-local-scope --goodhart-identity="seed=1" > %t.1
// RUN: goodhart-opt %s --mlir-print-debuginfo --mlir-print-local-scope --goodhart-identity="seed=1" > %t.1b
// RUN: goodhart-opt %s --mlir-print-debuginfo --mlir-print-local-scope --goodhart-identity="seed=2" > %t.2
// RUN: diff %t.1 %t.1b
// RUN: not diff -q %t.1 %t.2
// RUN: FileCheck %s < %t.1
// RUN: FileCheck %s < %t.2
// RUN: goodhart-opt %t.1 > /dev/null

// Four independent branches from one input: any order of them is valid.
// The function gets a drawn name; every layer keeps its name (the unnamed
// add gets the name it had: binary_8), shapes do not change.
// CHECK-LABEL: func.func @m{{[0-9a-f]+}}(
// CHECK-NOT: func.func @m(
// CHECK-DAG: tosa.conv2d {{.*}} -> tensor<1x4x4x8xf32> loc("a.conv")
// CHECK-DAG: tosa.conv2d {{.*}} -> tensor<1x4x4x8xf32> loc("b.conv")
// CHECK-DAG: tosa.sigmoid {{.*}} loc("c.act")
// CHECK-DAG: tosa.tanh {{.*}} loc("d.act")
// CHECK-DAG: tosa.clamp {{.*}} loc("a.relu")
// CHECK-DAG: tosa.clamp {{.*}} loc("b.relu")
// CHECK-DAG: tosa.add {{.*}} loc("sum.ab")
// CHECK-DAG: tosa.add {{.*}} loc("sum.cd")
// CHECK-DAG: tosa.add {{.*}} loc("binary_8"(
// CHECK: return {{.*}} : tensor<1x4x4x8xf32>

func.func @m(%x: tensor<1x4x4x8xf32>, %wa: tensor<8x1x1x8xf32> {goodhart.weight}, %wb: tensor<8x1x1x8xf32> {goodhart.weight}, %b: tensor<8xf32> {goodhart.weight}) -> tensor<1x4x4x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %a = tosa.conv2d %x, %wa, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x8xf32> loc("a.conv")
  %ar = tosa.clamp %a {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("a.relu")
  %bc = tosa.conv2d %x, %wb, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x8xf32> loc("b.conv")
  %br = tosa.clamp %bc {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("b.relu")
  %c = tosa.sigmoid %x : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("c.act")
  %d = tosa.tanh %x : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("d.act")
  %ab = tosa.add %ar, %br : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("sum.ab")
  %cd = tosa.add %c, %d : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("sum.cd")
  %o = tosa.add %ab, %cd : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %o : tensor<1x4x4x8xf32>
}
