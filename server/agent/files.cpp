// GET/POST /files (to be implemented).
#include "agent/agent.hpp"
namespace agent {
void register_files_http(Agent&) {}
}  // namespace agent
