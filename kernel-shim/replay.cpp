#include "kernel-shim/replay.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>

#include "kernel-shim/replay_exec.h"
#include "model/eval.h"
#include "model/lang/frontend.h"
#include "model/load/loader.h"

namespace fl::shim {

namespace {

namespace mm = model::mm;

// The loader's extensions with the mm model swapped for its describing twin.
std::vector<const lang::Extension*> describing_extensions() {
  std::vector<const lang::Extension*> out;
  for (const lang::Extension* e : model::kernel_extensions()) {
    out.push_back(e->name() == "mm" ? &mm::describing_extension() : e);
  }
  return out;
}

// The observation registers: each op's register and, when the model has one, its output field.
std::set<std::string> register_names(const ReplayScenario& sc) {
  std::set<std::string> names;
  for (const mm::DescThread& t : sc.desc.threads) {
    for (const mm::DescOp& o : t.ops) {
      if (o.reg.empty()) continue;
      names.insert(o.reg);
      if (sc.model.find_var(o.reg + "_out") != model::kNoId) names.insert(o.reg + "_out");
    }
  }
  return names;
}

// Whether the replayer can execute an operation.
bool replayable(mm::Op op) {
  switch (op) {
    case mm::Op::Fork:
    case mm::Op::Mremap:
      return false;
    default:
      return static_cast<int>(op) <= static_cast<int>(mm::Op::GuardRemove);
  }
}

// True if expression e reads no state variable other than the observation registers: only such
// an observation can be computed from what a real run shows.
bool reads_only(const model::Model& m, model::Id e, const std::set<std::string>& regs) {
  const model::Expr& x = m.exprs[e];
  if ((x.kind == model::ExprKind::Var || x.kind == model::ExprKind::Elem) &&
      regs.count(m.vars[x.var].name) == 0) {
    return false;
  }
  for (model::Id a : x.args) {
    if (!reads_only(m, a, regs)) return false;
  }
  return true;
}

void collect_vars(const model::Model& m, model::Id e, std::set<model::Id>& vars) {
  const model::Expr& x = m.exprs[e];
  if (x.kind == model::ExprKind::Var || x.kind == model::ExprKind::Elem) vars.insert(x.var);
  for (model::Id a : x.args) collect_vars(m, a, vars);
}

std::string value_text(const model::Observation& o, model::Value v) {
  const model::Value i = v - o.label_base;
  if (i >= 0 && i < static_cast<model::Value>(o.labels.size())) return o.labels[i];
  return std::to_string(v);
}

int slot_of(const model::Model& m, const std::string& var) {
  const model::Id id = m.find_var(var);
  return id == model::kNoId ? -1 : static_cast<int>(m.vars[id].first_slot);
}

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Fills the outcome tuple from the registers a run reported.
void compute_outcome(const ReplayScenario& sc, RunResult& r) {
  const model::Model& m = sc.model;
  model::State state = model::initial_state(m);
  std::map<model::Id, const ObservedRegister*> by_var;
  for (const ObservedRegister& reg : r.registers) {
    const model::Id var = m.find_var(reg.name);
    if (var == model::kNoId) continue;
    by_var[var] = &reg;
    if (reg.value != kUnknownValue) state[m.vars[var].first_slot] = reg.value;
  }
  for (const model::Observation& o : m.observations) {
    std::set<model::Id> vars;
    collect_vars(m, o.expr, vars);
    std::string unknown;
    for (model::Id v : vars) {
      auto it = by_var.find(v);
      if (it != by_var.end() && it->second->value == kUnknownValue) {
        unknown += (unknown.empty() ? "" : ",") + it->second->text;
      }
    }
    if (!unknown.empty()) {
      r.outcome.push_back(kUnknownValue);
      r.outcome_text.push_back(unknown);
      continue;
    }
    model::EvalError err;
    const auto v = model::eval(m, o.expr, state, {}, err);
    r.outcome.push_back(v ? *v : kUnknownValue);
    r.outcome_text.push_back(v ? value_text(o, *v) : "error:" + err.message);
  }
}

// Children that have reported and are exiting.  Process teardown takes milliseconds (most of it
// asleep in the kernel), so a run does not wait for its child's exit: the child is reaped by a
// later run, or by reap_replay_children(), and at most kMaxExiting are in flight.
std::mutex g_exiting_mu;
std::deque<pid_t> g_exiting;
constexpr size_t kMaxExiting = 4;

void reap(pid_t pid, int options) {
  int status = 0;
  while (waitpid(pid, &status, options) < 0 && errno == EINTR) {
  }
}

void reap_finished_locked(bool block_oldest) {
  for (auto it = g_exiting.begin(); it != g_exiting.end();) {
    int status = 0;
    const pid_t r = waitpid(*it, &status, WNOHANG);
    it = (r == *it || (r < 0 && errno == ECHILD)) ? g_exiting.erase(it) : it + 1;
  }
  if (block_oldest && !g_exiting.empty()) {
    reap(g_exiting.front(), 0);
    g_exiting.pop_front();
  }
}

}  // namespace

void reap_replay_children() {
  std::lock_guard<std::mutex> lock(g_exiting_mu);
  while (!g_exiting.empty()) {
    reap(g_exiting.front(), 0);
    g_exiting.pop_front();
  }
}

ReplayScenario load_replay_scenario(
    const std::string& path, const std::string& variant,
    const std::vector<std::pair<std::string, std::string>>& params) {
  ReplayScenario sc;
  sc.file = path;
  const lang::Scenario parsed = lang::Scenario::load(path, describing_extensions());
  mm::DescCapture capture;
  sc.model = parsed.elaborate(variant, params);
  sc.desc = capture.take();
  return sc;
}

std::string format_step(const mm::ScenarioDesc& d, const ReplayStep& step) {
  switch (step.kind) {
    case ReplayStep::Kind::kOp:
      return d.threads[step.actor].name + ":" + std::to_string(step.op);
    case ReplayStep::Kind::kRead:
      return d.monitors[step.actor].name + ":read";
    case ReplayStep::Kind::kResolve:
      return d.monitors[step.actor].name + ":resolve";
  }
  return "?";
}

std::string format_schedule(const mm::ScenarioDesc& d, const Schedule& schedule) {
  if (schedule.empty()) return "natural";
  std::string out;
  for (const ReplayStep& s : schedule) out += (out.empty() ? "" : " ") + format_step(d, s);
  return out;
}

Schedule schedule_from_actions(const ReplayScenario& sc, const std::vector<model::Id>& actions) {
  const model::Model& m = sc.model;
  const mm::ScenarioDesc& d = sc.desc;
  std::map<std::string, std::pair<bool, int>> actor_of;  // name -> (is monitor, index)
  for (size_t t = 0; t < d.threads.size(); ++t) actor_of[d.threads[t].name] = {false, t};
  for (size_t k = 0; k < d.monitors.size(); ++k) actor_of[d.monitors[k].name] = {true, k};
  Schedule out;
  std::set<std::pair<int, int>> started;
  model::State state = model::initial_state(m);
  model::EvalError err;
  for (model::Id a : actions) {
    const std::string& actor = m.actors[m.actions[a].actor].name;
    auto it = actor_of.find(actor);
    if (it != actor_of.end()) {
      const auto [monitor, index] = it->second;
      if (!monitor) {
        const int pc_slot = slot_of(m, actor + ".pc");
        const int op = pc_slot < 0 ? 0 : static_cast<int>(state[pc_slot]);
        if (started.insert({index, op}).second) {
          out.push_back({ReplayStep::Kind::kOp, index, op});
        }
      } else {
        const int st_slot = slot_of(m, actor + ".st");
        const model::Value st = st_slot < 0 ? -1 : state[st_slot];
        if (st == 0) out.push_back({ReplayStep::Kind::kRead, index, 0});
        if (st == 1) out.push_back({ReplayStep::Kind::kResolve, index, 0});
      }
    }
    auto next = model::successor(m, a, state, err);
    if (!next) break;
    state = std::move(*next);
  }
  return out;
}

std::string unsupported_reason(const ReplayScenario& sc, const Probe& probe) {
  const mm::ScenarioDesc& d = sc.desc;
  if (!d.has_mm) return "the scenario has no kernel (mm) declarations to run";
  if (sc.model.variant != "linux-6.18") {
    return "variant " + sc.model.variant +
           " is not what the running kernel implements (linux-6.18)";
  }
  if (d.knobs.memory_failure != probe.memory_failure_enabled()) {
    return std::string("the scenario assumes CONFIG_MEMORY_FAILURE=") +
           (d.knobs.memory_failure ? "y" : "n") + ", the running kernel has " +
           probe.memory_failure + " (" + probe.memory_failure_method + ")";
  }
  if (!d.knobs.none_mostly_any_marker) return "kconfig none-mostly = off is not 6.18's behaviour";
  if (d.knobs.poison_marker_sigbus) return "the poison marker of uffdio-sigbus-v1 is not merged";
  if (!probe.uffd_syscall) return "userfaultfd(2) is unavailable";
  for (const mm::DescContext& c : d.contexts) {
    for (const std::string& f : c.features) {
      const std::uint64_t bit = detail::uffd_feature_bit(f);
      if (bit == 0) return "userfaultfd feature '" + f + "' is unknown to the replayer";
      if (!probe.has_uffd_feature(bit)) return "the kernel lacks userfaultfd feature " + f;
    }
  }
  for (const mm::DescRegion& r : d.regions) {
    if (r.mem == mm::Mem::Hugetlb && !probe.hugetlb_usable()) {
      return "region " + r.name +
             " needs a reservable huge page (nr_hugepages=" + std::to_string(probe.nr_hugepages) +
             ", overcommit=" + std::to_string(probe.nr_overcommit_hugepages) +
             "); the shim never changes the hugetlb pool";
    }
  }
  for (size_t p = 0; p < d.pages.size(); ++p) {
    const mm::DescRegion& r = d.regions[d.pages[p].region];
    const mm::Init init = d.pages[p].init;
    const std::string what = "init " + d.page_name(static_cast<int>(p));
    if (init == mm::Init::Poisoned && r.ctx < 0)
      return what + " = poisoned needs a registered region";
    if ((init == mm::Init::MappedWp || init == mm::Init::WpMarker) && !(r.ctx >= 0 && r.wp)) {
      return what + " needs a region registered in wp mode";
    }
    if (init == mm::Init::WpMarker && r.mem == mm::Mem::Anon) {
      return what + " = wp-marker on anonymous memory needs UFFD_FEATURE_WP_UNPOPULATED";
    }
  }
  for (const mm::DescThread& t : d.threads) {
    if (t.child) return "thread " + t.name + " runs in a forked child, which is not replayable yet";
    for (const mm::DescOp& o : t.ops) {
      if (!replayable(o.op)) return "operation '" + o.verb + "' is not replayable yet";
    }
  }
  const std::set<std::string> regs = register_names(sc);
  for (const model::Observation& o : sc.model.observations) {
    if (!reads_only(sc.model, o.expr, regs)) {
      return "observation '" + o.name + "' reads model state a real run does not expose";
    }
  }
  return "";
}

RunResult replay(const ReplayScenario& sc, const Schedule& schedule, const ReplayOptions& opts) {
  RunResult r;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    r.failure = "pipe2 failed";
    return r;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    r.failure = "fork failed";
    return r;
  }
  if (pid == 0) {
    close(fds[0]);
    // The child's own watchdog: SIGALRM's default action ends it even if the parent is gone.
    alarm(static_cast<unsigned>(opts.run_timeout.count() / 1000 + 2));
    std::string out;
    try {
      out = detail::run_in_child(sc, schedule, opts);
    } catch (const std::exception& e) {
      out = nlohmann::json{{"setup_error", std::string("exception: ") + e.what()}}.dump();
    }
    _exit(write_all(fds[1], out + "\n") ? 0 : 1);
  }
  close(fds[1]);
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + opts.run_timeout;
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    const int rc = poll(&pfd, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) {
      timed_out = rc == 0;
      break;
    }
    char buf[4096];
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (!text.empty() && text.back() == '\n') break;  // the whole report; the child is exiting
  }
  close(fds[0]);
  const bool reported = !text.empty() && text.back() == '\n';
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  if (reported) {
    std::lock_guard<std::mutex> lock(g_exiting_mu);
    g_exiting.push_back(pid);
    reap_finished_locked(g_exiting.size() > kMaxExiting);
  } else {
    // Not reported: the child died or hung; its status says how.
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (timed_out) {
    r.failure = "the run timed out after " + std::to_string(opts.run_timeout.count()) + " ms";
    return r;
  }
  if (!reported && WIFSIGNALED(status)) {
    r.failure = std::string("the run was killed by signal ") + strsignal(WTERMSIG(status));
    return r;
  }
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    r.failure = "the run reported nothing readable";
    return r;
  }
  if (j.contains("setup_error")) {
    r.failure = "setup: " + j["setup_error"].get<std::string>();
    return r;
  }
  for (const auto& reg : j["registers"]) {
    ObservedRegister o;
    o.name = reg["name"].get<std::string>();
    o.value = reg["value"].get<model::Value>();
    o.text = reg["text"].get<std::string>();
    o.detail = reg["detail"].get<std::string>();
    // Label registers carry the label's index; *_out registers carry a page count.
    const bool out_reg = o.name.size() > 4 && o.name.compare(o.name.size() - 4, 4, "_out") == 0;
    const auto labels = static_cast<model::Value>(mm::outcome_labels().size());
    if (o.text.empty() && out_reg) {
      o.text = o.value < 0 && -o.value < labels ? "-" + mm::outcome_labels()[-o.value]
                                                : std::to_string(o.value);
    } else if (o.text.empty() && o.value >= 0 && o.value < labels) {
      o.text = mm::outcome_labels()[o.value];
    }
    r.registers.push_back(std::move(o));
  }
  for (const auto& n : j["notes"]) r.notes.push_back(n.get<std::string>());
  r.completed = true;
  compute_outcome(sc, r);
  return r;
}

std::string format_outcome(const model::Model& m, const std::vector<model::Value>& outcome) {
  std::string out;
  for (size_t i = 0; i < outcome.size() && i < m.observations.size(); ++i) {
    out += (out.empty() ? "" : " ") + m.observations[i].name + "=" +
           value_text(m.observations[i], outcome[i]);
  }
  return out;
}

std::string format_outcome(const RunResult& r, const model::Model& m) {
  if (!r.completed) return "(" + r.failure + ")";
  std::string out;
  for (size_t i = 0; i < r.outcome_text.size() && i < m.observations.size(); ++i) {
    out += (out.empty() ? "" : " ") + m.observations[i].name + "=" + r.outcome_text[i];
  }
  return out;
}

nlohmann::json to_json(const RunResult& r, const model::Model& m) {
  nlohmann::json j;
  j["completed"] = r.completed;
  if (!r.completed) j["failure"] = r.failure;
  nlohmann::json outcome = nlohmann::json::object();
  for (size_t i = 0; i < r.outcome_text.size() && i < m.observations.size(); ++i) {
    outcome[m.observations[i].name] = r.outcome_text[i];
  }
  j["outcome"] = outcome;
  nlohmann::json regs = nlohmann::json::array();
  for (const ObservedRegister& o : r.registers) {
    regs.push_back({{"name", o.name}, {"value", o.text}, {"detail", o.detail}});
  }
  j["registers"] = regs;
  j["notes"] = r.notes;
  return j;
}

}  // namespace fl::shim
