#include "tune/tuner.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "kernels/hotflip.h"
#include "kernels/kl.h"

namespace dp {

using torch::indexing::Slice;
static const double kLog2 = std::log(2.0);

Tuner::Tuner(std::shared_ptr<const Transformer> model, TunerOptions opts)
    : model_(std::move(model)), opts_(std::move(opts)) {
  const auto& c = model_->config();
  L_ = static_cast<int64_t>(opts_.pattern.size());
  d_ = c.hiddenSize;
  V_ = c.vocabSize;
  if (L_ < 1) throw std::runtime_error("tuner: the prompt needs at least one position");
  if (opts_.slots < 1) throw std::runtime_error("tuner: slots must be at least 1");
  std::vector<uint8_t> hard;
  for (char ch : opts_.pattern) {
    if (ch != 'H' && ch != 'S')
      throw std::runtime_error("tuner: pattern '" + opts_.pattern + "' may hold only H and S");
    hard.push_back(ch == 'H');
  }
  auto dev = model_->device();
  auto i64 = torch::TensorOptions().dtype(torch::kInt64).device(dev);
  hardMask_ = torch::tensor(std::vector<int64_t>(hard.begin(), hard.end()), i64).to(torch::kBool);
  // Known on the host: asking the device every epoch would be a sync per step on a GPU.
  anyHard_ = opts_.pattern.find('H') != std::string::npos;
  allHard_ = opts_.pattern.find('S') == std::string::npos;
  opts_.fixedShapes = opts_.fixedShapes || opts_.cudaGraph;  // a graph captures the fixed-shape epoch
  if (opts_.cudaGraph) graph_ = std::make_unique<EpochGraph>(dev);
  if (opts_.banned.defined()) opts_.banned = opts_.banned.to(dev, torch::kBool);
  torch::NoGradGuard ng;
  // What every load draws initial prompts from, once: the allowed ids, and for Gaussian soft
  // prompts the embedding matrix's mean and spread (a float32 copy of the whole matrix, 2 GB on
  // Llama-3-8B, that a load per refill would otherwise make again).
  if (opts_.banned.defined()) allowedIds_ = (~opts_.banned).nonzero().view(-1).cpu();
  // Their count, so that HotFlip's check of k never reads the mask back in an epoch.
  allowed_ = allowedIds_.defined() ? allowedIds_.numel() : V_;
  // A cycle longer than `patience` ends by patience anyway; past kStallHistory it is left to it
  // too, so that a huge patience cannot make the history huge.
  constexpr int64_t kStallHistory = 64;
  if (allHard_ && opts_.stopStalled) stallHistory_ = std::min({opts_.patience, opts_.maxEpochs, kStallHistory});
  if (opts_.init == "gaussian") {
    const auto e = model_->embeddingMatrix().to(torch::kFloat32);
    initMean_ = e.mean().item<double>();
    initSd_ = e.std().item<double>();
  }
  if (opts_.contextBefore.defined() && opts_.contextBefore.numel())
    ctxBeforeEmb_ = model_->embed(opts_.contextBefore.view({1, -1})).to(torch::kFloat32);
  if (opts_.contextAfter.defined() && opts_.contextAfter.numel())
    ctxAfterEmb_ = model_->embed(opts_.contextAfter.view({1, -1})).to(torch::kFloat32);
  // The context before the prompt never changes: its keys and values once, for every epoch.
  if (anyHard_ && opts_.prefixCache && ctxBeforeEmb_.defined())
    model_->lastHiddenAfter(ctxBeforeEmb_, {}, &ctxBeforeKv_);
  const int64_t S = opts_.slots;
  allRows_ = torch::arange(S, i64);
  row_ = RowState(S, L_, d_, V_, stallHistory_, dev);
}

RowState::RowState(int64_t n, int64_t L, int64_t d, int64_t V, int64_t H, torch::Device device) {
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  auto i64 = f32.dtype(torch::kInt64);
  target = torch::zeros({n, V}, f32);
  targetTerms = torch::zeros({n, 2}, f32.dtype(torch::kFloat64));
  soft = torch::zeros({n, L, d}, f32);
  m = torch::zeros({n, L, d}, f32);
  v = torch::zeros({n, L, d}, f32);
  ids = torch::full({n, L}, -1, i64);
  step = torch::zeros({n}, f32);
  best = torch::full({n}, std::numeric_limits<float>::infinity(), f32);
  bestEpoch = torch::zeros({n}, i64);
  bestSoft = torch::zeros({n, L, d}, f32);
  bestIds = torch::full({n, L}, -1, i64);
  sinceBest = torch::zeros({n}, i64);
  epoch = torch::zeros({n}, i64);
  reason = torch::zeros({n}, f32.dtype(torch::kInt32));
  loaded = torch::zeros({n}, f32.dtype(torch::kBool));
  seen = torch::full({n, H, L}, -1, i64);  // -1: no prompt (a hard position's id is never -1)
}

RowState RowState::rows(const torch::Tensor& idx) const {
  RowState out = *this;
  for (auto* t : out.all()) *t = t->index({idx});
  return out;
}

void RowState::put(const torch::Tensor& idx, const RowState& from) {
  auto src = from.all();
  auto dst = all();
  for (size_t i = 0; i < dst.size(); ++i) dst[i]->index_put_({idx}, *src[i]);
}

int64_t Tuner::running() const { return (row_.loaded & (row_.reason == kRunning)).sum().item<int64_t>(); }

void Tuner::load(const std::vector<int64_t>& slots, const torch::Tensor& targets, const std::vector<uint64_t>& seeds) {
  torch::NoGradGuard ng;
  const int64_t n = static_cast<int64_t>(slots.size());
  if (targets.dim() != 2 || targets.size(0) != n || targets.size(1) != V_)
    throw std::runtime_error("tuner.load: targets must be " + std::to_string(n) + "×" + std::to_string(V_));
  if (static_cast<int64_t>(seeds.size()) != n) throw std::runtime_error("tuner.load: one seed per row");
  for (auto s : slots)
    if (s < 0 || s >= opts_.slots) throw std::runtime_error("tuner.load: slot " + std::to_string(s) + " out of range");
  if (n == 0) return;
  auto dev = model_->device();
  // Each row's initial prompt comes from its own generator: identical alone or in any batch.
  const auto& allowed = allowedIds_;
  if (allowed.defined() && allowed.numel() == 0) throw std::runtime_error("tuner.load: every token is banned");
  std::vector<torch::Tensor> initIds, initSoft;
  for (int64_t r = 0; r < n; ++r) {
    auto gen = at::detail::createCPUGenerator(seeds[r]);
    torch::Tensor ids;
    if (allowed.defined())
      ids = allowed.index({torch::randint(allowed.numel(), {L_}, gen, torch::kInt64)});
    else
      ids = torch::randint(V_, {L_}, gen, torch::kInt64);
    initIds.push_back(ids);
    if (opts_.init == "gaussian")
      initSoft.push_back(torch::randn({L_, d_}, gen, torch::kFloat32) * initSd_ + initMean_);
  }
  auto ids = torch::stack(initIds).to(dev);
  torch::Tensor soft =
      opts_.init == "gaussian" ? torch::stack(initSoft).to(dev) : model_->embed(ids).to(torch::kFloat32);
  auto idx = torch::tensor(slots, torch::TensorOptions().dtype(torch::kInt64)).to(dev);
  auto hard = hardMask_.view({1, L_});
  RowState fresh(n, L_, d_, V_, stallHistory_, dev);
  fresh.target = targets.to(dev, torch::kFloat32);
  // Each row's target is fixed for its life: its own sums once, not once per loss (CPU only,
  // where the forward would otherwise take a logarithm per element; see kernels/kl.h).
  if (dev.is_cpu()) fresh.targetTerms = kernels::klTargetTerms(fresh.target);
  fresh.ids = torch::where(hard, ids, torch::full_like(ids, -1));
  fresh.soft = torch::where(hard.view({1, L_, 1}), torch::zeros_like(soft), soft);
  fresh.bestSoft = fresh.soft;
  fresh.bestIds = fresh.ids;
  fresh.loaded.fill_(true);
  row_.put(idx, fresh);
}

// [n, L, d] soft + [n, L] ids -> [n, Lb + L + La, d] float32 input embeddings.
torch::Tensor Tuner::assemble(const torch::Tensor& rows, const torch::Tensor& soft, const torch::Tensor& ids) const {
  torch::Tensor e = soft;
  if (anyHard_) {
    // The tuner's own ids (drawn from the vocabulary, or HotFlip's choices): no range check,
    // which would read them back from the device at every step.
    auto tok = model_->embedUnchecked(ids.clamp_min(0)).to(torch::kFloat32);
    e = torch::where(hardMask_.view({1, L_, 1}), tok, soft);
  }
  if (!ctxBeforeEmb_.defined() && !ctxAfterEmb_.defined()) return e;
  std::vector<torch::Tensor> parts;
  const int64_t n = e.size(0);
  if (ctxBeforeEmb_.defined()) parts.push_back(ctxBeforeEmb_.expand({n, -1, -1}));
  parts.push_back(e);
  if (ctxAfterEmb_.defined()) parts.push_back(ctxAfterEmb_.expand({n, -1, -1}));
  return torch::cat(parts, 1);
}

torch::Tensor Tuner::lossOf(const torch::Tensor& embeds, const torch::Tensor& targets, const torch::Tensor& terms,
                            const KvCache& past) const {
  return kernels::klFused(model_->lmHead(model_->lastHiddenAfter(embeds, past)), targets, terms);
}

torch::Tensor Tuner::termsOf(const torch::Tensor& rows) const {
  if (!model_->device().is_cpu()) return {};
  return rows.size(0) == opts_.slots ? row_.targetTerms : row_.targetTerms.index({rows});
}

// Keep the minimum on the trajectory and the prompt that reached it.
void Tuner::track(const torch::Tensor& rows, const torch::Tensor& loss, const torch::Tensor& soft,
                  const torch::Tensor& ids, torch::Tensor& improvedAny, const torch::Tensor& live) {
  auto cur = row_.best.index({rows});
  auto imp = loss < cur;  // NaN compares false
  // A hard prompt that is the best one already, evaluated again (at each position of an epoch
  // without a change, or at another batch shape), is no improvement, whatever its last bit says:
  // counting it would reset patience in one batch size and not in another. (Its first
  // evaluation, against a best of +inf, is.)
  if (allHard_) imp = imp & ((ids != row_.bestIds.index({rows})).any(1) | cur.isinf());
  if (live.defined()) imp = imp & live;
  row_.best.index_put_({rows}, torch::where(imp, loss, cur));
  row_.bestEpoch.index_put_({rows}, torch::where(imp, row_.epoch.index({rows}), row_.bestEpoch.index({rows})));
  row_.bestSoft.index_put_({rows}, torch::where(imp.view({-1, 1, 1}), soft, row_.bestSoft.index({rows})));
  row_.bestIds.index_put_({rows}, torch::where(imp.view({-1, 1}), ids, row_.bestIds.index({rows})));
  improvedAny = improvedAny.defined() ? (improvedAny | imp) : imp;
}

static void markDiverged(torch::Tensor& reason, const torch::Tensor& rows, const torch::Tensor& loss,
                         const torch::Tensor& live = {}) {
  auto r = reason.index({rows});
  auto diverged = loss.isfinite().logical_not() & (r == kRunning);
  if (live.defined()) diverged = diverged & live;
  reason.index_put_({rows}, torch::where(diverged, torch::full_like(r, kDiverged), r));
}

// t[rows] += 1 for every row, or for the live ones only; returns the new t[rows].
static torch::Tensor advance(torch::Tensor& t, const torch::Tensor& rows, const torch::Tensor& live) {
  auto cur = t.index({rows});
  auto next = live.defined() ? cur + live.to(t.scalar_type()) : cur + 1;
  t.index_put_({rows}, next);
  return next;
}

// AdamW on the positions in `positionMask` ([L] bool) of `rows`, with each row's own step count.
void Tuner::adamw(const torch::Tensor& rows, const torch::Tensor& grad, const torch::Tensor& positionMask,
                  const torch::Tensor& live) {
  const double b1 = opts_.beta1, b2 = opts_.beta2, lr = opts_.lr;
  auto t = (row_.step.index({rows}) + 1).view({-1, 1, 1});
  auto mask = positionMask.view({1, L_, 1});
  if (live.defined()) mask = mask & live.view({-1, 1, 1});
  auto m = row_.m.index({rows}), v = row_.v.index({rows}), theta = row_.soft.index({rows});
  auto m1 = m * b1 + grad * (1 - b1);
  auto v1 = v * b2 + grad * grad * (1 - b2);
  auto bc1 = 1 - torch::pow(b1, t), bc2 = 1 - torch::pow(b2, t);
  auto denom = (v1 / bc2).sqrt() + opts_.adamEps;
  auto theta1 = theta * (1 - lr * opts_.weightDecay) - (lr / bc1) * m1 / denom;
  row_.m.index_put_({rows}, torch::where(mask, m1, m));
  row_.v.index_put_({rows}, torch::where(mask, v1, v));
  row_.soft.index_put_({rows}, torch::where(mask, theta1, theta));
}

void Tuner::finishEpoch(const torch::Tensor& rows, const torch::Tensor& improved, const torch::Tensor& live,
                        const torch::Tensor& stalled) {
  auto ep = advance(row_.epoch, rows, live);
  auto since0 = row_.sinceBest.index({rows});
  auto since = torch::where(improved, torch::zeros_like(ep), since0 + 1);
  if (live.defined()) since = torch::where(live, since, since0);
  row_.sinceBest.index_put_({rows}, since);
  auto r = row_.reason.index({rows});
  auto running = r == kRunning;
  if (live.defined()) running = running & live;
  auto set = [&](const torch::Tensor& cond, int32_t why) {
    r = torch::where(running & cond, torch::full_like(r, why), r);
    running = running & (r == kRunning);
  };
  if (opts_.convergedNats >= 0) set(row_.best.index({rows}) <= opts_.convergedNats, kConverged);
  set(since >= opts_.patience, kPatience);
  set(ep >= opts_.maxEpochs, kBudget);
  // Last: a row that stops for another reason in this epoch keeps that reason.
  if (stalled.defined()) set(stalled, kStalled);
  row_.reason.index_put_({rows}, r);
}

// One soft epoch. Eager: `rows` are the running rows. Fixed shapes (`live` given, [slots] bool):
// `rows` is every slot, read in place, with no host synchronisation (the contract of
// epoch_graph.h); rows that are not live (stopped, awaiting harvest, or empty) are computed but
// masked out of every update, so a live row does exactly what it does in an eager epoch.
// Continuous batching keeps few slots idle, and a full batch reads the targets in place anyway.
void Tuner::epochSoft(const torch::Tensor& rows, const torch::Tensor& live) {
  const bool everySlot = live.defined();
  auto s = (everySlot ? row_.soft.detach().clone() : row_.soft.index({rows}).detach()).requires_grad_(true);
  auto ids = everySlot ? row_.ids : row_.ids.index({rows});
  torch::Tensor loss;
  {
    torch::AutoGradMode ag(true);
    // With the batch full (the usual case under continuous batching) read the targets in place:
    // gathering them would copy rows × vocab floats every epoch.
    const auto& tgt = rows.size(0) == opts_.slots ? row_.target : row_.target.index({rows});
    loss = lossOf(assemble(rows, s, ids), tgt, termsOf(rows));
    loss.sum().backward();
  }
  torch::NoGradGuard ng;
  auto l = loss.detach();
  torch::Tensor improved;
  track(rows, l, s.detach(), ids, improved, live);
  markDiverged(row_.reason, rows, l, live);
  adamw(rows, s.grad(), ~hardMask_, live);
  advance(row_.step, rows, live);
  finishEpoch(rows, improved, live);
}

torch::Tensor Tuner::liveSlots() const {
  torch::NoGradGuard ng;
  return row_.loaded & (row_.reason == kRunning);
}

// Hard and hybrid: positions left to right, one forward/backward each; a hard position takes
// the HotFlip choice, a soft one an AdamW step (each soft position once per epoch).
// With prefixCache the step at position j starts from the keys and values of the positions
// before it, which did not change since the cache last grew: its forward runs from position j
// on, its backward stops at j (the one gradient it uses) and k > 1 candidates share that prefix.
// After the update the cache grows by position j at its new value. Without it, every step runs
// the whole sequence (the plain epoch, kept as the reference the cached one is tested against).
// Fixed shapes (`live` given) as in epochSoft: `rows` is every slot, and a row that is not live
// keeps its ids, moments and counters; nothing here reads a device value on the host (the
// pattern is the host's, the ids are the tuner's own, HotFlip's k was checked once).
void Tuner::epochPositional(const torch::Tensor& rows, const torch::Tensor& live) {
  const int64_t n = rows.size(0);
  const int64_t Lb = ctxBeforeEmb_.defined() ? ctxBeforeEmb_.size(1) : 0;
  const bool cached = opts_.prefixCache;
  auto tgt = n == opts_.slots ? row_.target : row_.target.index({rows});
  auto terms = termsOf(rows);
  torch::Tensor improved;
  const auto& E = model_->embeddingMatrix();
  KvCache past;  // cached: positions [0, Lb + j)
  if (cached && ctxBeforeKv_.length()) past = ctxBeforeKv_.expandTo(n);
  if (stallHistory_) {
    torch::NoGradGuard ng;
    row_.seen.index_put_({rows, row_.epoch.index({rows}) % stallHistory_}, row_.ids.index({rows}));
  }
  for (int64_t j = 0; j < L_; ++j) {
    auto soft = row_.soft.index({rows});
    auto ids = row_.ids.index({rows});
    const int64_t from = cached ? Lb + j : 0;  // the first position this step computes
    const int64_t at = Lb + j - from;          // position j among them
    auto whole = assemble(rows, soft, ids);
    auto emb = whole.narrow(1, from, whole.size(1) - from).detach().requires_grad_(true);
    torch::Tensor loss;
    {
      torch::AutoGradMode ag(true);
      loss = lossOf(emb, tgt, terms, past);
      loss.sum().backward();
    }
    torch::NoGradGuard ng;
    auto l = loss.detach();
    track(rows, l, soft, ids, improved, live);
    markDiverged(row_.reason, rows, l, live);
    auto gj = emb.grad().select(1, at);  // the gradient at position j
    if (opts_.pattern[j] == 'H') {
      auto cur = emb.detach().select(1, at);
      auto [cand, scores] = kernels::hotflipTopK(gj, cur, E, opts_.candidates, opts_.banned, allowed_);
      cand = cand.to(ids.device());
      // A row that is not live keeps the id it has.
      auto keepUnlessLive = [&](const torch::Tensor& choice) {
        auto next = ids.clone();
        next.select(1, j).copy_(live.defined() ? torch::where(live, choice, ids.select(1, j)) : choice);
        row_.ids.index_put_({rows}, next);
        return next;
      };
      if (opts_.candidates == 1) {
        // The study's Eq. 4: take the linearised argmin.
        keepUnlessLive(cand.select(1, 0));
      } else {
        // k > 1: true loss of every candidate in batched forwards; keep the best if it improves.
        const int64_t k = cand.size(1), T = emb.size(1);
        const int64_t chunk = std::max<int64_t>(1, std::max<int64_t>(opts_.slots, 256) / std::max<int64_t>(n, 1));
        std::vector<torch::Tensor> losses;
        for (int64_t c0 = 0; c0 < k; c0 += chunk) {
          int64_t c = std::min(chunk, k - c0);
          auto cemb = emb.detach().unsqueeze(1).expand({n, c, T, d_}).clone();
          cemb.select(2, at).copy_(model_->embedUnchecked(cand.narrow(1, c0, c)).to(torch::kFloat32));
          auto logits = model_->lmHead(model_->lastHiddenAfter(cemb.view({n * c, T, d_}), past.repeatEach(c)));
          losses.push_back(kernels::klCandidates(logits, tgt, model_->kernels().sharedTargets, terms).view({n, c}));
        }
        auto all = torch::cat(losses, 1);
        auto [minLoss, arg] = all.min(1);
        auto better = minLoss < l;
        auto chosen = cand.gather(1, arg.unsqueeze(1)).squeeze(1);
        auto next = keepUnlessLive(torch::where(better, chosen, ids.select(1, j)));
        // The accepted candidate's loss is a true loss of the new prompt: track it now.
        auto trackLoss =
            torch::where(better, minLoss, torch::full_like(minLoss, std::numeric_limits<float>::infinity()));
        track(rows, trackLoss, soft, next, improved, live);
      }
    } else {
      auto g = torch::zeros({n, L_, d_}, gj.options());
      g.select(1, j).copy_(gj);
      auto only = torch::zeros_like(hardMask_);
      only[j] = true;
      adamw(rows, g, only, live);
    }
    if (cached && j + 1 < L_) {
      auto updated = assemble(rows, row_.soft.index({rows}), row_.ids.index({rows})).narrow(1, Lb + j, 1);
      KvCache grown;
      model_->lastHiddenAfter(updated, past, &grown);
      past = std::move(grown);
    }
  }
  torch::NoGradGuard ng;
  advance(row_.step, rows, live);
  torch::Tensor stalled;
  if (stallHistory_) stalled = (row_.seen.index({rows}) == row_.ids.index({rows}).unsqueeze(1)).all(2).any(1);
  finishEpoch(rows, improved, live, stalled);
}

StepReport Tuner::step(int64_t epochs, const std::atomic<bool>& abort) {
  StepReport rep;
  const bool allSoft = !anyHard_;
  // Fixed-shape epochs never ask the device which rows run; the chunk asks once up front.
  if (opts_.fixedShapes && running() == 0) epochs = 0;
  for (int64_t e = 0; e < epochs; ++e) {
    if (abort.load()) break;
    if (opts_.fixedShapes) {
      // The live mask is read on the device inside the epoch, so a captured graph re-reads it.
      auto epoch = [this, allSoft] {
        auto live = liveSlots();
        if (allSoft)
          epochSoft(allRows_, live);
        else
          epochPositional(allRows_, live);
      };
      if (graph_)
        graph_->run(epoch);
      else
        epoch();
      rep.epochsRun++;
      continue;
    }
    torch::Tensor rows;
    {
      torch::NoGradGuard ng;
      rows = (row_.loaded & (row_.reason == kRunning)).nonzero().view(-1);
    }
    if (rows.numel() == 0) break;
    if (allSoft)
      epochSoft(rows, {});
    else
      epochPositional(rows, {});
    rep.epochsRun++;
  }
  torch::NoGradGuard ng;
  rep.active = running();
  rep.stopped = (row_.loaded & (row_.reason != kRunning)).cpu();
  rep.bestLoss = row_.best.cpu();
  return rep;
}

Harvest Tuner::harvest(const std::vector<int64_t>& slots) {
  torch::NoGradGuard ng;
  Harvest h;
  auto dev = model_->device();
  auto idx = torch::tensor(slots, torch::TensorOptions().dtype(torch::kInt64)).to(dev);
  auto r = row_.rows(idx);
  h.bestLoss = r.best.cpu();
  h.bestEpoch = r.bestEpoch.cpu();
  h.epochs = r.epoch.cpu();
  h.reason = r.reason.cpu();
  h.bestIds = r.bestIds.cpu();
  h.currentIds = r.ids.cpu();
  h.bestSoft = r.bestSoft.cpu();
  if (!slots.empty()) {
    // The model's distribution at the best prompt: its entropy, and the KL once more so the
    // caller can see the returned prompt reproduces the returned loss.
    auto emb = assemble(idx, r.bestSoft, r.bestIds);
    auto logits = model_->lmHead(model_->lastHidden(emb)).to(torch::kFloat32);
    auto logq = torch::log_softmax(logits, -1);
    h.modelEntropyBits = (-(logq.exp() * logq).sum(-1) / kLog2).cpu();
    h.checkLoss = kernels::klReference(logits, r.target).cpu();
    h.maxAbsLogit = logits.abs().amax(-1).cpu();
  } else {
    h.modelEntropyBits = torch::zeros({0});
    h.checkLoss = torch::zeros({0});
    h.maxAbsLogit = torch::zeros({0});
  }
  row_.loaded.index_put_({idx}, torch::zeros_like(r.loaded));
  return h;
}

}  // namespace dp
