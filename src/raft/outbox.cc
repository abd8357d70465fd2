#include "raft/outbox.h"

#include "base/vassert.h"

namespace raft {

outbox::outbox(node_id self, size_t max_messages)
  : _self(self)
  , _max_messages(max_messages) {
    vassert(_max_messages > 0, "a batch must hold a message");
}

void outbox::post(group_id group, envelope out) {
    vassert(out.from == _self, "{} posts a message from {}", _self, out.from);
    bool first = _pending.empty();
    auto& batches = _pending[out.to];
    if (batches.empty() || batches.back().messages.size() >= _max_messages) {
        batches.push_back(batch{_self, out.to, {}});
    }
    batches.back().messages.push_back(group_message{group, std::move(out.msg)});
    if (first && _on_first_post) {
        _on_first_post();
    }
}

std::vector<batch> outbox::flush() {
    std::vector<batch> out;
    for (auto& [peer, batches] : _pending) {
        for (auto& b : batches) {
            out.push_back(std::move(b));
        }
    }
    _pending.clear();
    return out;
}

} // namespace raft
