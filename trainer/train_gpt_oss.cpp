// train_gpt_oss: trains a gpt-oss GGUF on packed datasets with the CPU reference (gpt_oss.h).
//
//   train_gpt_oss train   --model M.gguf --shard PREFIX... --seq-len L --out DIR --steps N [--resume] [hyperparameters]
//   train_gpt_oss eval    --model M.gguf --shard PREFIX... --seq-len L
//   train_gpt_oss logits  --model M.gguf --tokens FILE.u32 --out FILE.f32      (one document, all positions)
//   train_gpt_oss convert --model M.gguf --out OUT.gguf [--f32]
//   train_gpt_oss info    --model M.gguf
//   train_gpt_oss grads   --model M.gguf --shard PREFIX --seq-len L --sample I --out FILE.f64   (float64)
//
// Progress and results are JSON lines on stdout; errors go to stderr with exit code 1 (2 for usage).
// SIGINT/SIGTERM/SIGHUP during training finish the current step, write a checkpoint and exit 0.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <chrono>
#include <ctime>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "adamw.h"
#include "data.h"
#include "gguf.h"
#include "gpt_oss.h"
#include "load.h"

using namespace gptoss;

static volatile std::sig_atomic_t g_stop = 0;
static void on_signal(int) { g_stop = 1; }

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// --key value / --flag options; --shard may repeat.
struct Args {
    std::string command;
    std::map<std::string, std::string> values;
    std::vector<std::string> shards;

    static Args parse(int argc, char** argv) {
        static const char* flags[] = {"--resume", "--f32", "--rope-untruncated"};
        Args a;
        if (argc < 2) throw UsageError("missing command (train, eval, logits, convert)");
        a.command = argv[1];
        for (int i = 2; i < argc; i++) {
            std::string k = argv[i];
            bool is_flag = false;
            for (const char* f : flags) is_flag |= k == f;
            if (is_flag) { a.values[k] = "1"; continue; }
            if (k.rfind("--", 0) != 0 || i + 1 >= argc) throw UsageError("expected --option value, got " + k);
            if (k == "--shard") a.shards.push_back(argv[++i]);
            else a.values[k] = argv[++i];
        }
        return a;
    }
    bool has(const std::string& k) const { return values.count(k) > 0; }
    std::string str(const std::string& k) const {
        auto it = values.find(k);
        if (it == values.end()) throw UsageError("missing " + k);
        return it->second;
    }
    double num(const std::string& k, double dflt) const {
        if (!has(k)) return dflt;
        char* end;
        double v = std::strtod(values.at(k).c_str(), &end);
        if (*end) throw UsageError(k + " expects a number, got " + values.at(k));
        return v;
    }
};

static std::string json_escape(const std::string& s) {
    std::string out;
    for (char ch : s) {
        if (ch == '"' || ch == '\\') { out += '\\'; out += ch; }
        else if ((unsigned char)ch < 0x20) { char buf[8]; std::snprintf(buf, sizeof buf, "\\u%04x", ch); out += buf; }
        else out += ch;
    }
    return out;
}

static double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// At most one thread per online core: every thread holds buffers the size of a layer's gradients,
// so --threads 100000 would exhaust memory (or the thread limit) and kill the process.
static void set_threads(const Args& a) {
    const double n = a.num("--threads", 0);
    const long cores = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
    if (n < 0 || n != (double)(long)n || n > (double)cores)
        throw UsageError("--threads must be an integer in 1.." + std::to_string(cores) + " (the online cores), got " + a.values.at("--threads"));
#ifdef _OPENMP
    if (n > 0) omp_set_num_threads((int)n);
#endif
}

static Hyper read_hyper(const Args& a) {
    Hyper h;
    h.lr = a.num("--lr", h.lr);
    h.warmup = (int)a.num("--warmup", h.warmup);
    h.decay_ratio = a.num("--decay-ratio", h.decay_ratio);
    h.min_lr_factor = a.num("--min-lr-factor", h.min_lr_factor);
    h.weight_decay = a.num("--weight-decay", h.weight_decay);
    h.clip = a.num("--clip", h.clip);
    h.beta1 = a.num("--beta1", h.beta1);
    h.beta2 = a.num("--beta2", h.beta2);
    h.eps = a.num("--eps", h.eps);
    return h;
}

// A loss averaged over no trained token is undefined: JSON null, never a 0 that reads as a perfect fit.
static std::string mean_loss_json(double sum, int64_t targets, const char* format) {
    if (targets == 0) return "null";
    char buf[64];
    std::snprintf(buf, sizeof buf, format, sum / (double)targets);
    return buf;
}

// Mean masked loss over every sample (sum of token losses / number of targets).
static void cmd_eval(const Args& a) {
    gguf::File f(a.str("--model"));
    Model<float> m;
    load_model(m, f, !a.has("--rope-untruncated"));
    PackedData data(a.shards, (int)a.num("--seq-len", 0), m.cfg.n_vocab);
    double loss = 0;
    int64_t targets = 0;
    for (size_t i = 0; i < data.samples(); i++) {
        int64_t n = 0;
        loss += m.loss_and_backward(data.sample(i), nullptr, 1.0, &n);
        targets += n;
        // One progress line per sample: a full-length sample takes seconds, a dataset minutes.
        std::printf("{\"event\":\"eval_progress\",\"sample\":%zu,\"samples\":%zu,\"tokens_trained\":%lld}\n", i + 1,
                    data.samples(), (long long)targets);
        std::fflush(stdout);
    }
    std::printf("{\"loss\":%s,\"tokens_trained\":%lld,\"samples\":%zu}\n", mean_loss_json(loss, targets, "%.8g").c_str(),
                (long long)targets, data.samples());
}

// Sample order: in file order (seed 0) or a fresh Fisher-Yates permutation per epoch, derived from
// the seed and the epoch only, so a resumed run continues with exactly the samples it would have seen.
class SampleOrder {
public:
    SampleOrder(size_t n, uint64_t seed) : n_(n), seed_(seed) {}
    size_t at(int64_t k) {
        if (seed_ == 0) return (size_t)(k % (int64_t)n_);
        const int64_t epoch = k / (int64_t)n_;
        if (epoch != epoch_) {
            perm_.resize(n_);
            for (size_t i = 0; i < n_; i++) perm_[i] = i;
            std::mt19937_64 rng(seed_ * 0x9E3779B97F4A7C15ull + (uint64_t)epoch);
            for (size_t i = n_ - 1; i > 0; i--) std::swap(perm_[i], perm_[rng() % (i + 1)]);
            epoch_ = epoch;
        }
        return perm_[(size_t)(k % (int64_t)n_)];
    }

private:
    size_t n_;
    uint64_t seed_;
    int64_t epoch_ = -1;
    std::vector<size_t> perm_;
};

static void checkpoint(const std::string& out, const Model<float>& m, const gguf::File& src, const AdamW& opt,
                       int64_t samples_seen, bool all_f32) {
    save_model(out + "/checkpoint.gguf", m, src, all_f32);
    save_state(out + "/optimizer.bin", m.layout, m.params, opt, samples_seen);
    std::printf("{\"event\":\"checkpoint\",\"step\":%lld,\"path\":\"%s\"}\n", (long long)opt.step, json_escape(out + "/checkpoint.gguf").c_str());
    std::fflush(stdout);
}

static void cmd_train(const Args& a) {
    const std::string out = a.str("--out");
    const int steps = (int)a.num("--steps", 0);
    const int accum = (int)a.num("--grad-accum", 1);
    const int save_every = (int)a.num("--save-every", 0);
    if (steps <= 0 || accum <= 0) throw UsageError("--steps and --grad-accum must be positive");
    const Hyper h = read_hyper(a);
    if (mkdir(out.c_str(), 0755) != 0 && errno != EEXIST) throw std::runtime_error(out + ": cannot create (" + std::strerror(errno) + ")");
    gguf::File f(a.str("--model"));
    Model<float> m;
    load_model(m, f, !a.has("--rope-untruncated"));
    PackedData data(a.shards, (int)a.num("--seq-len", 0), m.cfg.n_vocab);
    if (data.samples() == 0) throw DataError("empty_dataset", "", "the dataset has no samples");
    AdamW opt;
    opt.init(m.params.size());
    int64_t samples_seen = 0;
    if (a.has("--resume")) {
        load_state(out + "/optimizer.bin", m.layout, m.params, opt, &samples_seen);
        std::printf("{\"event\":\"resumed\",\"step\":%lld}\n", (long long)opt.step);
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGHUP, on_signal);  // a closed terminal: checkpoint like Ctrl-C
    std::vector<float> grads(m.params.size());
    SampleOrder order(data.samples(), (uint64_t)a.num("--seed", 0));
    const bool all_f32 = a.has("--f32");
    while (opt.step < steps && !g_stop) {
        const double t0 = now_s();
        const std::clock_t cpu0 = std::clock();  // process CPU time, all threads
        std::fill(grads.begin(), grads.end(), 0.f);
        // The loss is normalized by the trained tokens of the whole step (all micro-batches).
        std::vector<size_t> batch;
        int64_t targets = 0;
        for (int k = 0; k < accum; k++) {
            batch.push_back(order.at(samples_seen + k));
            targets += data.targets(batch.back());
        }
        double loss_sum = 0;
        m.seconds_forward = m.seconds_head = m.seconds_backward = 0;
        const double scale = targets > 0 ? 1.0 / targets : 0.0;
        for (size_t i : batch) loss_sum += m.loss_and_backward(data.sample(i), grads.data(), scale, nullptr);
        const double lr = lr_at(h, (int)opt.step, steps);
        const double t_opt = now_s();
        const double norm = opt.update(m.layout, m.params, grads, h, lr);
        const double optimizer_s = now_s() - t_opt;
        samples_seen += accum;
        const double dt = now_s() - t0;
        const double cpu_s = (double)(std::clock() - cpu0) / CLOCKS_PER_SEC;
        std::printf("{\"step\":%lld,\"loss\":%s,\"lr\":%.9g,\"grad_norm\":%.6g,\"tokens_trained\":%lld,"
                    "\"tokens_per_s\":%.4g,\"seconds\":%.4g,\"cpu_seconds\":%.4g,\"phases\":{\"forward\":%.3g,\"head\":%.3g,"
                    "\"backward\":%.3g,\"optimizer\":%.3g}}\n",
                    (long long)opt.step, mean_loss_json(loss_sum, targets, "%.6g").c_str(), lr, norm, (long long)targets,
                    dt > 0 ? targets / dt : 0.0, dt, cpu_s, m.seconds_forward, m.seconds_head, m.seconds_backward, optimizer_s);
        std::fflush(stdout);
        if (save_every > 0 && opt.step % save_every == 0 && opt.step < steps) checkpoint(out, m, f, opt, samples_seen, all_f32);
    }
    checkpoint(out, m, f, opt, samples_seen, all_f32);
    std::printf("{\"event\":\"%s\",\"step\":%lld}\n", g_stop ? "stopped" : "done", (long long)opt.step);
}

// Logits of every position of one document (raw uint32 token ids) as raw float32 [n, vocab].
static void cmd_logits(const Args& a) {
    gguf::File f(a.str("--model"));
    Model<float> m;
    load_model(m, f, !a.has("--rope-untruncated"));
    MappedFile tok(a.str("--tokens"));
    const int n = (int)(tok.size() / 4);
    if (n == 0) throw DataError("empty_input", tok.path(), "no tokens");
    Sample s;
    s.tokens = (const uint32_t*)tok.data();
    s.bounds = {0, (uint32_t)n};
    for (int t = 0; t < n; t++)
        if (s.tokens[t] >= (uint32_t)m.cfg.n_vocab) throw DataError("token_out_of_vocab", tok.path(), "token id out of the vocabulary");
    Acts<float> acts;
    m.forward(acts, s);
    const std::string path = a.str("--out");
    FILE* o = std::fopen(path.c_str(), "wb");
    if (!o) throw std::runtime_error(path + ": cannot create");
    const int chunk = 64, V = m.cfg.n_vocab;
    std::vector<float> logits((size_t)chunk * V);
    for (int t0 = 0; t0 < n; t0 += chunk) {
        const int rows = std::min(chunk, n - t0);
        m.head_forward(logits.data(), acts.hf.data() + (size_t)t0 * m.cfg.n_embd, rows);
        const size_t count = (size_t)rows * V;
        if (fwrite(logits.data(), 4, count, o) != count) throw std::runtime_error(path + ": write failed");
    }
    std::fclose(o);
    std::printf("{\"positions\":%d,\"vocab\":%d}\n", n, m.cfg.n_vocab);
}

// Loss and gradients of one sample in float64 (mean over its targets, as a step with one sample):
// the raw float64 gradients in layout order to --out, a JSON index of the tensors on stdout.
// bench/train/check_grads_torch.py compares them with PyTorch autograd.
static void cmd_grads(const Args& a) {
    gguf::File f(a.str("--model"));
    Model<double> m;
    load_model(m, f, !a.has("--rope-untruncated"));
    PackedData data(a.shards, (int)a.num("--seq-len", 0), m.cfg.n_vocab);
    const size_t index = (size_t)a.num("--sample", 0);
    if (index >= data.samples()) throw UsageError("--sample is past the dataset's samples");
    const int64_t targets = data.targets(index);
    std::vector<double> grads(m.params.size(), 0.0);
    const double loss = m.loss_and_backward(data.sample(index), grads.data(), targets ? 1.0 / targets : 0.0, nullptr);
    const std::string path = a.str("--out");
    FILE* o = std::fopen(path.c_str(), "wb");
    if (!o || fwrite(grads.data(), 8, grads.size(), o) != grads.size()) throw std::runtime_error(path + ": write failed");
    std::fclose(o);
    std::printf("{\"loss\":%.17g,\"targets\":%lld,\"tensors\":[", targets ? loss / targets : 0.0, (long long)targets);
    for (size_t i = 0; i < m.layout.tensors.size(); i++) {
        const TensorSpec& t = m.layout.tensors[i];
        std::printf("%s{\"name\":\"%s\",\"offset\":%zu,\"size\":%zu}", i ? "," : "", json_escape(t.name).c_str(), t.offset, t.size);
    }
    std::printf("]}\n");
}

// The model's hyperparameters as JSON (the CLI checks a dataset against them before training).
static void cmd_info(const Args& a) {
    gguf::File f(a.str("--model"));
    const Config c = read_config(f, true);
    check_shapes(f, make_layout(c));
    const uint64_t n_ctx = f.get_uint("gpt-oss.context_length");
    std::printf("{\"architecture\":\"gpt-oss\",\"n_vocab\":%d,\"context_length\":%llu,\"n_embd\":%d,\"n_layer\":%d,"
                "\"n_head\":%d,\"n_head_kv\":%d,\"head_dim\":%d,\"n_expert\":%d,\"n_expert_used\":%d,\"n_ff\":%d,"
                "\"sliding_window\":%d,\"parameters\":%zu}\n",
                c.n_vocab, (unsigned long long)n_ctx, c.n_embd, c.n_layer, c.n_head, c.n_head_kv, c.head_dim, c.n_expert,
                c.n_expert_used, c.n_ff, c.n_swa, make_layout(c).total);
}

static void cmd_convert(const Args& a) {
    gguf::File f(a.str("--model"));
    Model<float> m;
    load_model(m, f, true);
    save_model(a.str("--out"), m, f, a.has("--f32"));
    std::printf("{\"written\":\"%s\",\"tensors\":%zu}\n", json_escape(a.str("--out")).c_str(), m.layout.tensors.size());
}

int main(int argc, char** argv) {
    try {
        Args a = Args::parse(argc, argv);
        set_threads(a);
        if (a.command == "train") cmd_train(a);
        else if (a.command == "eval") cmd_eval(a);
        else if (a.command == "logits") cmd_logits(a);
        else if (a.command == "convert") cmd_convert(a);
        else if (a.command == "info") cmd_info(a);
        else if (a.command == "grads") cmd_grads(a);
        else throw UsageError("unknown command " + a.command + " (known: train, eval, logits, convert, info, grads)");
        return 0;
    } catch (const DataError& e) {
        // one JSON line, so the CLI can report the reason code and file
        std::fprintf(stderr, "{\"error\":{\"code\":\"%s\",\"file\":\"%s\",\"message\":\"%s\"}}\n", json_escape(e.code).c_str(),
                     json_escape(e.file).c_str(), json_escape(e.detail).c_str());
        return 1;
    } catch (const gguf::Error& e) {
        std::fprintf(stderr, "{\"error\":{\"code\":\"bad_model\",\"file\":\"\",\"message\":\"%s\"}}\n", json_escape(e.what()).c_str());
        return 1;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "usage error: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
