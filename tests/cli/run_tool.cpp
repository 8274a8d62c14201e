#include "run_tool.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace fl::test {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string source_path(const std::string& relative) {
  return std::string(FL_SOURCE_DIR) + "/" + relative;
}

ToolRun run_faultline(const std::vector<std::string>& args) {
  return run_faultline_signalled(args, 0, 0);
}

ToolRun run_faultline_signalled(const std::vector<std::string>& args, int signal, int delay_ms) {
  char out_tmpl[] = "/tmp/fl-cli-out-XXXXXX";
  char err_tmpl[] = "/tmp/fl-cli-err-XXXXXX";
  const int out_fd = mkstemp(out_tmpl);
  const int err_fd = mkstemp(err_tmpl);
  const std::string exe = std::string(FL_BINARY_DIR) + "/faultline";
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(FL_SOURCE_DIR) != 0) _exit(127);
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(exe.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  if (signal != 0) {
    usleep(static_cast<useconds_t>(delay_ms) * 1000);
    kill(pid, signal);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  close(out_fd);
  close(err_fd);
  ToolRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_tmpl);
  r.err = slurp(err_tmpl);
  unlink(out_tmpl);
  unlink(err_tmpl);
  return r;
}

}  // namespace fl::test
