#include "cli/app.h"

#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/options.h"
#include "faultline/version.h"
#include "proofs/z3_info.h"

namespace fl::cli {

namespace {

constexpr const char* kExitCodesHelp =
    "Exit codes:\n"
    "  0  every property holds and every expectation is met\n"
    "  1  a property is violated or an expectation is not met\n"
    "  2  usage or input error (bad option, malformed scenario, missing file)\n"
    "  3  a required capability is missing (for example no /dev/kvm for replay)\n"
    "  4  a limit stopped the run before it was exhaustive\n";

void add_common(CLI::App& cmd, CommonOptions& o) {
  cmd.add_flag("--json", o.json, "Machine-readable output on stdout (docs/json.md)");
  cmd.add_option("--variant", o.variant, "Check only this kernel variant (see `list variants`)");
  cmd.add_option("--param", o.params, "Scenario parameter NAME=VALUE (repeatable)")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false);
  cmd.add_option("--threads", o.threads, "Worker threads; results do not depend on it")
      ->check(CLI::Range(1u, 256u));
  cmd.add_option("--seed", o.seed, "Seed for randomised work (printed by every random run)")
      ->each([&o](const std::string&) { o.seed_given = true; });
  cmd.add_flag("--no-reduction", o.no_reduction, "Turn every state-space reduction off");
  cmd.add_option("--max-states", o.max_states, "Stop (verdict incomplete, exit 4) after N states");
  cmd.add_option("--time-limit", o.time_limit_s, "Stop (incomplete, exit 4) after SECONDS")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--max-memory", o.max_memory_mib, "Stop (incomplete, exit 4) above MiB");
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{
      "faultline: a deterministic simulator and model checker for the Linux memory-fault paths "
      "behind VM post-copy live migration (userfaultfd, PTE markers, madvise, guest_memfd, KVM)",
      "faultline"};
  app.footer(kExitCodesHelp);
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("faultline ") + FL_VERSION_STRING + " (Z3 " +
                                        proofs::z3_version() + ")");

  CommonOptions opts;
  std::vector<std::string> inputs;
  std::string list_what = "scenarios";

  CLI::App* check = app.add_subcommand("check",
                                       "Explore every interleaving of scenarios and "
                                       "check their properties and expectations");
  check->add_option("inputs", inputs, "Scenario files or folders (default: scenarios)");
  check->add_flag("--traces", opts.verbose_traces,
                  "Print every counterexample and outcome, expected or not");
  check
      ->add_option("--engine", opts.engine,
                   "explicit (exhaustive search, default) or bmc (Z3 bounded model checking)")
      ->check(CLI::IsMember({"explicit", "bmc"}));
  check->add_option("--depth", opts.bmc_depth, "--engine bmc: unroll this many steps (default 20)");
  check->add_option("--dump-smt", opts.dump_smt_dir, "--engine bmc: write every Z3 query to DIR");
  check->add_flag("--z3-cross-check", opts.z3_cross_check,
                  "Debug: evaluate every property, guard and successor of every reachable state "
                  "with Z3 as well as natively; stop at the first disagreement");
  add_common(*check, opts);

  ProveCommandOptions prove_opts;
  CLI::App* prove = app.add_subcommand(
      "prove",
      "Prove each invariant for all states with Z3 (induction, k-induction); classify "
      "counterexamples to induction with the explorer");
  prove->add_option("inputs", inputs, "Scenario files or folders (default: scenarios)");
  prove->add_option("--k", prove_opts.max_k, "k-induction bound (default 8; 1 = plain induction)")
      ->check(CLI::Range(1u, 64u));
  prove->add_flag("--strengthen", prove_opts.strengthen,
                  "Assume the scenario's other proved invariants from the start");
  prove->add_option("--dump-smt", opts.dump_smt_dir, "Write every Z3 query to DIR as SMT-LIB2");
  prove->add_flag("--ioctls", prove_opts.ioctls,
                  "Prove the model's userfaultfd ioctl argument checks equal the kernel's");
  add_common(*prove, opts);

  CLI::App* list = app.add_subcommand("list", "List scenarios, variants or built-in properties");
  list->add_option("what", list_what, "scenarios | variants | properties")
      ->check(CLI::IsMember({"scenarios", "variants", "properties"}));
  list->add_option("inputs", inputs, "For `list scenarios`: files or folders");
  add_common(*list, opts);

  ShimOptions shim;
  CLI::App* replay = app.add_subcommand("replay", "Run a scenario on the running kernel");
  replay->add_option("inputs", inputs, "Scenario file");
  replay->add_option("--runs", shim.runs, "Runs (default 1)")->check(CLI::Range(1u, 100000u));
  replay->add_flag("--probe", shim.probe, "Print what the running kernel supports, then exit");
  add_common(*replay, opts);
  CLI::App* diff = app.add_subcommand(
      "diff", "Check that every outcome the running kernel shows is allowed by the model");
  diff->add_option("inputs", inputs, "Scenario files or folders (default: scenarios/mm)");
  diff->add_option("--runs", shim.runs, "Runs per forced order (default 3)")
      ->check(CLI::Range(1u, 10000u));
  add_common(*diff, opts);
  CLI::App* repro = app.add_subcommand(
      "repro", "Write a standalone C program that replays a counterexample on a real kernel");
  repro->add_option("inputs", inputs, "TRACE.json (the output of `check --json`)");
  repro->add_option("--property", shim.property, "The violated property whose trace to use");
  repro->add_option("-o,--output", shim.output, "Write the C program here (default: stdout)");
  repro->add_option("--runs", shim.runs, "Also compile it with cc and run it N times")
      ->check(CLI::Range(1u, 100000u));
  add_common(*repro, opts);

  SimulateFlags sim_flags;
  CLI::App* simulate = app.add_subcommand(
      "simulate", "Seeded random walks for state spaces too big to explore exhaustively");
  simulate->add_option("inputs", inputs, "Scenario files or folders (default: scenarios)");
  simulate->add_option("--walks", sim_flags.walks, "Number of random walks")->capture_default_str();
  simulate->add_option("--depth", sim_flags.depth, "Steps per walk at most")->capture_default_str();
  simulate->add_flag("--swarm", sim_flags.swarm,
                     "Swarm: each walk keeps a random half of the actions");
  simulate->add_flag("--traces", opts.verbose_traces,
                     "Print every counterexample, expected or not");
  add_common(*simulate, opts);

  std::string show_file;
  bool show_dot = false;
  CLI::App* show = app.add_subcommand(
      "show", "Render a trace or `check --json` output as a per-actor timeline (or DOT)");
  show->add_option("trace", show_file, "JSON: check/simulate output, a result or a violation")
      ->required();
  show->add_flag("--dot", show_dot, "Print Graphviz DOT instead of the timeline");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "faultline: " << e.what() << " (see `faultline --help`)\n";
    return kExitUsage;
  }

  try {
    if (check->parsed()) return check_command(inputs, opts);
    if (prove->parsed()) return prove_command(inputs, opts, prove_opts);
    if (list->parsed()) return list_command(list_what, inputs, opts);
    if (simulate->parsed()) return simulate_command(inputs, opts, sim_flags);
    if (show->parsed()) return show_command(show_file, show_dot);
    if (replay->parsed()) return replay_command(inputs, opts, shim);
    if (diff->parsed()) return diff_command(inputs, opts, shim);
    if (repro->parsed()) return repro_command(inputs, opts, shim);
  } catch (const std::invalid_argument& e) {
    std::cerr << "faultline: " << e.what() << "\n";
    return kExitUsage;
  }
  return kExitUsage;
}

}  // namespace fl::cli
