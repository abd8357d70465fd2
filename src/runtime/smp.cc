#include "runtime/smp.h"

#include "base/logger.h"
#include "base/vassert.h"

#include <boost/asio/executor_work_guard.hpp>

#include <pthread.h>
#include <sched.h>

namespace runtime {
namespace {

base::logger log{"runtime"};
smp* g_instance = nullptr;
thread_local std::optional<shard_id> t_shard;

std::vector<int> allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
            if (CPU_ISSET(cpu, &set)) {
                cpus.push_back(cpu);
            }
        }
    }
    if (cpus.empty()) {
        cpus.push_back(0);
    }
    return cpus;
}

} // namespace

struct smp::shard {
    // One thread per context: Asio may skip its internal locking.
    boost::asio::io_context context{1};
    std::optional<
        boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
        work;
    std::thread thread;
    int cpu{-1};
};

smp::smp(options opts)
  : _opts(opts) {
    vassert(g_instance == nullptr, "only one smp may exist at a time");
    auto cpus = allowed_cpus();
    unsigned count = opts.count == 0 ? static_cast<unsigned>(cpus.size()) : opts.count;
    for (unsigned i = 0; i < count; ++i) {
        auto s = std::make_unique<shard>();
        s->work.emplace(s->context.get_executor());
        if (opts.pin) {
            s->cpu = cpus[i % cpus.size()];
        }
        _shards.push_back(std::move(s));
    }
    g_instance = this;
}

smp::~smp() {
    stop();
    join();
    g_instance = nullptr;
}

smp& smp::instance() {
    vassert(g_instance != nullptr, "no smp exists");
    return *g_instance;
}

boost::asio::io_context& smp::context(shard_id id) {
    vassert(id() < _shards.size(), "shard {} of {}", id(), _shards.size());
    return _shards[id()]->context;
}

void smp::start() {
    vassert(!_started, "smp started twice");
    _started = true;
    for (unsigned i = 0; i < _shards.size(); ++i) {
        _shards[i]->thread = std::thread([this, i] { run_shard(i); });
    }
}

void smp::run_shard(unsigned index) {
    auto& s = *_shards[index];
    t_shard = shard_id(index);
    base::set_log_shard(static_cast<int>(index));
    if (s.cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(s.cpu, &set);
        if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
            log.warn("could not pin shard {} to cpu {}", index, s.cpu);
        }
    }
    s.context.run();
}

void smp::stop() {
    for (auto& s : _shards) {
        s->work.reset();
    }
}

void smp::join() {
    for (auto& s : _shards) {
        if (s->thread.joinable()) {
            s->thread.join();
        }
    }
}

std::optional<shard_id> current_shard() {
    return t_shard;
}

shard_id this_shard() {
    vassert(t_shard.has_value(), "not on a shard");
    return *t_shard;
}

} // namespace runtime
