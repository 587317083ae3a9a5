func.func @m(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %y = tosa.floor %x : (tensor<1x8xf32>) -> tensor<1x8xf32> loc("stem.floor")
  return %y : tensor<1x8xf32>
}
