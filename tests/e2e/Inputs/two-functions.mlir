func.func @encoder(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %y = tosa.sigmoid %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}
func.func @decoder(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %y = tosa.tanh %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %z = tosa.exp %y : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %z : tensor<1x8xf32>
}
