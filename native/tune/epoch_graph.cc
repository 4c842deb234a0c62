#include "tune/epoch_graph.h"

#include <stdexcept>
#include <string>

#ifdef DP_WITH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#endif

namespace dp {

#ifdef DP_WITH_CUDA

namespace {
// `waiter` runs nothing queued after this call before everything queued on `first` so far.
// Raw CUDA events: their C++ wrapper moved between libtorch 2.x releases.
void streamWaits(const c10::cuda::CUDAStream& waiter, const c10::cuda::CUDAStream& first) {
  cudaEvent_t e;
  C10_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  C10_CUDA_CHECK(cudaEventRecord(e, first.stream()));
  C10_CUDA_CHECK(cudaStreamWaitEvent(waiter.stream(), e, 0));
  C10_CUDA_CHECK(cudaEventDestroy(e));  // released once the wait is satisfied
}
}  // namespace

struct EpochGraph::Impl {
  Impl(torch::Device d, int w) : device(d), warmup(w), side(c10::cuda::getStreamFromPool(false, d.index())) {}
  torch::Device device;
  int warmup;
  int eagerRuns = 0;
  c10::cuda::CUDAStream side;
  std::unique_ptr<at::cuda::CUDAGraph> graph;
};

EpochGraph::EpochGraph(torch::Device device, int warmup) {
  if (!device.is_cuda()) throw std::runtime_error("CUDA graphs need a CUDA device; the model is on " + device.str());
  impl_ = std::make_unique<Impl>(device, warmup);
}

EpochGraph::~EpochGraph() = default;

void EpochGraph::run(const std::function<void()>& epoch) {
  auto& m = *impl_;
  c10::cuda::CUDAGuard deviceGuard(m.device);
  auto main = c10::cuda::getCurrentCUDAStream(m.device.index());
  if (m.graph) {
    m.graph->replay();  // on the caller's stream: ordered after load() and before harvest()
    return;
  }
  // Warm-up and capture happen on the side stream (the legacy default stream cannot be
  // captured); it first waits for what the caller queued (rows loaded, slots harvested).
  streamWaits(m.side, main);
  {
    c10::cuda::CUDAStreamGuard streamGuard(m.side);
    if (m.eagerRuns < m.warmup) {
      epoch();
      ++m.eagerRuns;
    } else {
      // The warm-up epochs' activations sit in the allocator's cache, and the graph cannot use
      // them (it allocates from a pool of its own): give them back first, so that the capture
      // does not need twice the memory the batch was sized for.
      m.side.synchronize();
      c10::cuda::CUDACachingAllocator::emptyCache();
      auto g = std::make_unique<at::cuda::CUDAGraph>();
      g->capture_begin();
      try {
        epoch();
      } catch (const std::exception& e) {
        try {
          g->capture_end();
        } catch (...) {
        }
        throw std::runtime_error(std::string("CUDA graph capture of the tuner epoch failed (run without cudaGraph): ") +
                                 e.what());
      }
      g->capture_end();
      m.graph = std::move(g);
    }
  }
  streamWaits(main, m.side);
  if (m.graph) m.graph->replay();  // capturing records the epoch without running it: run it now
}

#else

struct EpochGraph::Impl {};

EpochGraph::EpochGraph(torch::Device device, int) {
  throw std::runtime_error("CUDA graphs need a CUDA build of the addon; this one is CPU-only (model on " +
                           device.str() + ")");
}
EpochGraph::~EpochGraph() = default;
void EpochGraph::run(const std::function<void()>& epoch) { epoch(); }

#endif

}  // namespace dp
