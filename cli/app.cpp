#include "cli/app.h"

#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/options.h"
#include "proofs/z3_info.h"
#include "faultline/version.h"

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
  app.set_version_flag("--version",
                       std::string("faultline ") + FL_VERSION_STRING + " (Z3 " +
                           proofs::z3_version() + ")");

  CommonOptions opts;
  std::vector<std::string> inputs;
  std::string list_what = "scenarios";

  CLI::App* check = app.add_subcommand("check", "Explore every interleaving of scenarios and "
                                                "check their properties and expectations");
  check->add_option("inputs", inputs, "Scenario files or folders (default: scenarios)");
  check->add_flag("--traces", opts.verbose_traces,
                  "Print every counterexample and outcome, expected or not");
  add_common(*check, opts);

  CLI::App* list = app.add_subcommand("list", "List scenarios, variants or built-in properties");
  list->add_option("what", list_what, "scenarios | variants | properties")
      ->check(CLI::IsMember({"scenarios", "variants", "properties"}));
  list->add_option("inputs", inputs, "For `list scenarios`: files or folders");
  add_common(*list, opts);

  struct Pending {
    const char* name;
    const char* help;
    const char* issue;
  };
  const Pending pending[] = {
      {"simulate", "Seeded random walks for state spaces too big to finish", "explorer issue #5"},
      {"prove", "Prove properties inductive with Z3", "proofs issue #6"},
      {"replay", "Run a scenario or trace on the running kernel", "kernel-shim issue #7"},
      {"diff", "Compare the model's allowed outcomes with the running kernel's", "issue #7"},
      {"repro", "Write a standalone C reproducer of a trace", "issue #7"},
      {"show", "Render a trace (terminal timeline, JSON, DOT)", "explorer issue #5"},
  };
  std::vector<std::pair<CLI::App*, const Pending*>> pending_cmds;
  for (const Pending& p : pending) {
    CLI::App* cmd = app.add_subcommand(p.name, std::string(p.help) + " (not built yet)");
    cmd->allow_extras();
    add_common(*cmd, opts);
    pending_cmds.emplace_back(cmd, &p);
  }

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
    if (list->parsed()) return list_command(list_what, inputs, opts);
    for (const auto& [cmd, p] : pending_cmds) {
      if (cmd->parsed()) return not_built_command(p->name, p->issue);
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "faultline: " << e.what() << "\n";
    return kExitUsage;
  }
  return kExitUsage;
}

}  // namespace fl::cli
