// process.Process service (to be implemented).
#include "agent/agent.hpp"
namespace agent {
void register_process_service(Agent&) {}
}  // namespace agent
