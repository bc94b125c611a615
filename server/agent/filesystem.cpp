// filesystem.Filesystem service (to be implemented).
#include "agent/agent.hpp"
namespace agent {
void register_filesystem_service(Agent&) {}
}  // namespace agent
