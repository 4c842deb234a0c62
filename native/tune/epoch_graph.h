// One tuner epoch replayed as a CUDA graph: one launch per epoch instead of the hundreds of
// kernel launches a forward + backward + AdamW over small tensors makes, which is where the
// time goes on small models and short prompts.
//
// The first `warmup` calls run the epoch eagerly on a side stream, so that cuBLAS handles and
// workspaces, the autograd engine's device thread and the allocator's blocks are made outside
// the capture; the next call captures the epoch on that stream and replays it; every later call
// only replays. The epoch handed in must therefore have fixed shapes, read and write only
// tensors that outlive the graph (the tuner's [slots, ...] state), and never wait for the host
// (no .item(), no nonzero()): Tuner::epochSoft and Tuner::epochPositional with a live mask are
// written to that contract. A positional epoch is many forwards and backwards (one per prompt
// position, and the k > 1 trials): still one graph, its shapes fixed by the slots and pattern.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>

namespace dp {

class EpochGraph {
 public:
  // Throws when this build has no CUDA or `device` is not a CUDA device.
  EpochGraph(torch::Device device, int warmup = 2);
  ~EpochGraph();
  EpochGraph(const EpochGraph&) = delete;
  EpochGraph& operator=(const EpochGraph&) = delete;
  // Runs exactly one epoch (eagerly while warming up, else by replaying the captured one).
  void run(const std::function<void()>& epoch);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dp
