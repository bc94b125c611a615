// fork+exec of a process-service command: new session, pipes or a PTY, dropped credentials.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "agent/agent.hpp"

namespace agent {

struct SpawnOptions {
    std::string cmd;                          // looked up in the child env's PATH if it has no '/'
    std::vector<std::string> args;            // argv[1..]
    std::map<std::string, std::string> env;
    std::string cwd;                          // must exist
    User user;
    bool stdin_pipe = true;                   // false: /dev/null
    bool pty = false;
    unsigned short cols = 80, rows = 24;
};

// Parent-side ends, all O_CLOEXEC | O_NONBLOCK; -1 when unused. Owned by the caller.
struct Spawned {
    pid_t pid = -1;
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    int pty_fd = -1;   // PTY master (stdin, stdout and stderr of the child)
};

// Returns false with a Go-style message ("fork/exec /x: no such file or directory") when the
// child could not be started; the child shares the agent's memory until it execs (vfork-style)
// and reports a failure there, so a true return means execve succeeded. The child is reaped by the agent's SIGCHLD handler either way.
bool spawn_process(const SpawnOptions& o, Spawned* out, std::string* err);

}  // namespace agent
