// One batched optimisation engine for soft, hard and hybrid prompt search.
//
// A Tuner owns `slots` rows on the device. Every per-row quantity — prompt (soft embeddings
// and/or token ids), AdamW moments and step count, best loss and the prompt that reached it,
// patience counter, epoch, stop reason — is a row of a batched tensor, so a row's trajectory
// depends only on its own target and seed, never on its neighbours (docs/design.md).
// TypeScript schedules: it loads rows into free slots, runs a chunk of epochs, harvests the
// rows that stopped and refills their slots (continuous batching).
#pragma once
#include <torch/torch.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "model/transformer.h"
#include "tune/epoch_graph.h"

namespace dp {

// Why a row stopped, one code per row. TypeScript names a code by its index in
// NATIVE_STOP_REASONS (lib/tune/stop-reasons.ts); stopReasonNames is what a test compares it to.
enum StopReason : int32_t { kRunning = 0, kPatience = 1, kBudget = 2, kDiverged = 3, kConverged = 4, kStalled = 5 };
inline constexpr const char* stopReasonNames[] = {"running", "patience", "budget", "diverged", "converged", "stalled"};
static_assert(sizeof(stopReasonNames) / sizeof(stopReasonNames[0]) == kStalled + 1, "one name per StopReason");

// Every setting is given by the caller (native/addon/tuner_ops.cc requires each one): the study's
// defaults live in lib/spec/defaults.ts alone, so none are restated here.
struct TunerOptions {
  int64_t slots;
  std::string pattern;  // one letter per searched position: S soft, H hard
  double lr, beta1, beta2, adamEps, weightDecay;
  int64_t candidates;  // HotFlip k
  int64_t patience;
  int64_t maxEpochs;
  double convergedNats = -1.0;  // optional: stop a row whose KL falls to this (negative: never)
  std::string init;             // tokens | gaussian
  // fixedShapes: every epoch (soft, hard or hybrid) runs over every slot, stopped and empty ones
  // masked out of every update, so its shapes never change and it never waits for the host
  // (each chunk asks once whether any row still runs). cudaGraph: that epoch captured once as a
  // CUDA graph and replayed (implies fixedShapes; CUDA only). A row's result is the same either way.
  bool fixedShapes;
  bool cudaGraph;
  // Hard and hybrid: each position's step reuses the keys and values of the positions before it
  // instead of recomputing them (Tuner::epochPositional). The same results within float rounding.
  bool prefixCache;
  // An all-hard prompt (no S position) that ends an epoch as it began one of its last `patience`
  // epochs (at most kStallHistory) stops ('stalled'): an epoch's choices are a function of the
  // prompt it starts from (HotFlip, the candidates' losses), so the row would go round the same
  // cycle again and find no new minimum; waiting out `patience` would only repeat it.
  bool stopStalled;
  // Optional (undefined: none).
  torch::Tensor banned;         // [V] bool, tokens hard positions (and token init) never take
  torch::Tensor contextBefore;  // [Lb] int64 fixed tokens before the prompt (may be empty)
  torch::Tensor contextAfter;   // [La] int64 fixed tokens after it
};

struct StepReport {
  int64_t epochsRun = 0;   // chunk epochs actually run (fewer when aborted or all stopped)
  int64_t active = 0;      // rows still running after the chunk
  torch::Tensor stopped;   // [slots] bool: loaded rows that have stopped and await harvest
  torch::Tensor bestLoss;  // [slots] float32
};

struct Harvest {
  torch::Tensor bestLoss, bestEpoch, epochs, reason;  // [n]
  torch::Tensor bestIds;                              // [n, L] int64 (-1 at soft positions)
  torch::Tensor currentIds;                           // [n, L] the prompt where the search stopped
  torch::Tensor bestSoft;                             // [n, L, d] float32 (0 at hard positions)
  torch::Tensor modelEntropyBits;                     // [n] entropy of the model's distribution at the best prompt
  torch::Tensor checkLoss;                            // [n] KL recomputed at the best prompt (consistency)
  torch::Tensor maxAbsLogit;                          // [n] largest |logit| there: how far rounding moves the KL
};

// Every per-row quantity, one row per slot on the device. The fields are declared here, given
// their fresh-row values once (the constructor) and listed once for the generic row copies
// (fieldsOf), so loading and harvesting a row never restate them.
struct RowState {
  torch::Tensor target;             // [n, V] float32
  torch::Tensor targetTerms;        // [n, 2] float64 (Σ p·log p, Σ p) of target: CPU KL forwards read them
  torch::Tensor soft, m, v;         // [n, L, d] float32: soft prompt (0 at hard positions), AdamW moments
  torch::Tensor ids;                // [n, L] int64 (-1 at soft positions)
  torch::Tensor step;               // [n] float32 AdamW steps taken
  torch::Tensor best;               // [n] float32 lowest loss so far (+inf before the first)
  torch::Tensor bestEpoch;          // [n] int64
  torch::Tensor bestSoft, bestIds;  // the prompt that reached `best`
  torch::Tensor sinceBest, epoch;   // [n] int64 patience counter, epochs run
  torch::Tensor reason;             // [n] int32 StopReason
  torch::Tensor loaded;             // [n] bool: the slot holds a row
  torch::Tensor seen;               // [n, H, L] int64: the prompts the last H epochs began from (stopStalled)

  RowState() = default;
  // n fresh rows (empty slots: not loaded), with room for H epochs' prompts in `seen`.
  RowState(int64_t n, int64_t L, int64_t d, int64_t V, int64_t H, torch::Device device);
  // Every field, once: what the generic row copies below go over.
  std::vector<torch::Tensor*> all() { return fieldsOf<torch::Tensor>(*this); }
  std::vector<const torch::Tensor*> all() const { return fieldsOf<const torch::Tensor>(*this); }
  // The rows `idx` of every field, and the reverse: every field's rows `idx` set from `from`.
  RowState rows(const torch::Tensor& idx) const;
  void put(const torch::Tensor& idx, const RowState& from);

 private:
  template <typename T, typename Self>
  static std::vector<T*> fieldsOf(Self& s) {
    return {&s.target,    &s.targetTerms, &s.soft,    &s.m,         &s.v,     &s.ids,    &s.step,   &s.best,
            &s.bestEpoch, &s.bestSoft,    &s.bestIds, &s.sinceBest, &s.epoch, &s.reason, &s.loaded, &s.seen};
  }
};

class Tuner {
 public:
  Tuner(std::shared_ptr<const Transformer> model, TunerOptions opts);

  // Put rows into `slots`: their targets [n, V] and one seed each (the row's init is drawn
  // from that seed alone, on the CPU, so it is the same on every device and in every batch).
  void load(const std::vector<int64_t>& slots, const torch::Tensor& targets, const std::vector<uint64_t>& seeds);
  // Run up to `epochs` epochs for the running rows; returns early when none is left or abort is set.
  StepReport step(int64_t epochs, const std::atomic<bool>& abort);
  // Read the results of `slots` and free them.
  Harvest harvest(const std::vector<int64_t>& slots);
  int64_t slots() const { return opts_.slots; }
  int64_t running() const;

 private:
  torch::Tensor assemble(const torch::Tensor& rows, const torch::Tensor& soft, const torch::Tensor& ids) const;
  // Per-row KL at the last position of `embeds`, which follow the positions cached in `past`.
  torch::Tensor lossOf(const torch::Tensor& embeds, const torch::Tensor& targets, const torch::Tensor& terms,
                       const KvCache& past = {}) const;
  // row_.targetTerms[rows] where the KL forward reads them (CPU), else undefined.
  torch::Tensor termsOf(const torch::Tensor& rows) const;
  // `live` given: a fixed-shape epoch over every slot, only the live ones updated.
  void epochSoft(const torch::Tensor& rows, const torch::Tensor& live);
  torch::Tensor liveSlots() const;  // [slots] bool: loaded and running
  // Hard and hybrid; `live` as epochSoft's.
  void epochPositional(const torch::Tensor& rows, const torch::Tensor& live);
  // `live` ([rows] bool, optional): only these rows change (fixed-shape epochs run every slot).
  void track(const torch::Tensor& rows, const torch::Tensor& loss, const torch::Tensor& soft, const torch::Tensor& ids,
             torch::Tensor& improvedAny, const torch::Tensor& live = {});
  void adamw(const torch::Tensor& rows, const torch::Tensor& grad, const torch::Tensor& positionMask,
             const torch::Tensor& live = {});
  // `stalled` ([rows] bool, optional): rows whose epoch ended at a prompt an earlier one began from.
  void finishEpoch(const torch::Tensor& rows, const torch::Tensor& improved, const torch::Tensor& live = {},
                   const torch::Tensor& stalled = {});

  std::shared_ptr<const Transformer> model_;
  TunerOptions opts_;
  int64_t L_ = 0, d_ = 0, V_ = 0;
  bool anyHard_ = false;
  bool allHard_ = false;              // no soft position: the prompt is its ids alone
  int64_t stallHistory_ = 0;          // H of RowState::seen: 0 unless stopStalled applies
  int64_t allowed_ = 0;               // tokens not banned
  torch::Tensor allowedIds_;          // [allowed] int64 on the host; undefined: every token
  double initMean_ = 0, initSd_ = 0;  // Gaussian init: the embedding matrix's mean and std
  std::unique_ptr<EpochGraph> graph_;
  torch::Tensor allRows_;   // arange(slots): the rows of a fixed-shape epoch
  torch::Tensor hardMask_;  // [L] bool
  torch::Tensor ctxBeforeEmb_, ctxAfterEmb_;
  KvCache ctxBeforeKv_;  // prefixCache: the context before the prompt, one row
  RowState row_;         // [slots, ...]
};

}  // namespace dp
