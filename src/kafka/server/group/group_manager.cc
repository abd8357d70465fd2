#include "kafka/server/group/group_manager.h"

#include "base/logger.h"
#include "cluster/partition_manager.h"
#include "kafka/server/coordinator_log.h"
#include "kafka/server/group/group_records.h"
#include "model/batch_walker.h"
#include "model/record.h"
#include "model/record_batch_builder.h"
#include "storage/log_manager.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace kafka::group {
namespace {

base::logger log{"group"};

// How often groups check their deadlines (session timeouts, join and sync
// phases): the granularity of every group timer.
constexpr auto tick_interval = std::chrono::milliseconds(50);

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// UTF-8 to the UTF-16 code units Java's String.hashCode runs over.
int32_t java_string_hash(std::string_view s) {
    uint32_t h = 0;
    auto unit = [&h](uint32_t u) { h = 31 * h + u; };
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<uint8_t>(s[i]);
        uint32_t cp = c;
        size_t len = 1;
        if (c >= 0xF0 && i + 3 < s.size()) {
            cp = ((c & 0x07u) << 18) | ((static_cast<uint8_t>(s[i + 1]) & 0x3Fu) << 12)
                | ((static_cast<uint8_t>(s[i + 2]) & 0x3Fu) << 6)
                | (static_cast<uint8_t>(s[i + 3]) & 0x3Fu);
            len = 4;
        } else if (c >= 0xE0 && i + 2 < s.size()) {
            cp = ((c & 0x0Fu) << 12) | ((static_cast<uint8_t>(s[i + 1]) & 0x3Fu) << 6)
                | (static_cast<uint8_t>(s[i + 2]) & 0x3Fu);
            len = 3;
        } else if (c >= 0xC0 && i + 1 < s.size()) {
            cp = ((c & 0x1Fu) << 6) | (static_cast<uint8_t>(s[i + 1]) & 0x3Fu);
            len = 2;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            unit(0xD800 + (cp >> 10));
            unit(0xDC00 + (cp & 0x3FF));
        } else {
            unit(cp);
        }
        i += len;
    }
    return static_cast<int32_t>(h);
}

protocol::sync_group_response sync_response(const sync_answer& a, const group& g) {
    protocol::sync_group_response r;
    r.error_code = static_cast<int16_t>(a.error);
    r.assignment = a.assignment;
    if (a.error == error_code::none) {
        r.protocol_type = g.protocol_type();
        r.protocol_name = g.protocol_name();
    }
    return r;
}

} // namespace

int32_t partition_for(std::string_view group_id, int32_t partitions) {
    auto h = java_string_hash(group_id) & 0x7fffffff;
    return partitions > 0 ? h % partitions : 0;
}

group_manager::group_manager(boost::asio::any_io_executor ex,
                             cluster::partition_manager& partitions,
                             manager_config config)
  : _ex(ex)
  , _partitions(partitions)
  , _config(config)
  , _ticker(ex)
  , _work(ex) {}

group_manager::~group_manager() = default;

void group_manager::start() {
    _next_expiry = clock::now() + _config.retention_check_interval;
    _work.try_enter();
    boost::asio::co_spawn(_ex, run_ticks(), boost::asio::detached);
}

void group_manager::shed_waiters() {
    _shedding = true;
    for (auto& [id, g] : _groups) {
        g->shed(error_code::not_coordinator);
    }
}

runtime::awaitable<void> group_manager::stop() {
    _stopping = true;
    _ticker.cancel();
    co_await _work.close();
}

runtime::awaitable<void> group_manager::run_ticks() {
    runtime::gate_holder hold(_work);
    while (!_stopping) {
        _ticker.expires_after(tick_interval);
        boost::system::error_code ec;
        co_await _ticker.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (_stopping) {
            break;
        }
        co_await tick();
    }
}

runtime::awaitable<void> group_manager::tick() {
    auto now = clock::now();
    std::vector<std::string> emptied;
    for (auto& [id, g] : _groups) {
        if (g->tick(now)) {
            emptied.push_back(id);
        }
    }
    for (const auto& id : emptied) {
        auto* g = find(id);
        if (g != nullptr) {
            _empty_since_ms[id] = now_ms();
            co_await persist_group(_group_partition[id], *g);
        }
    }
    if (now >= _next_expiry) {
        _next_expiry = now + _config.retention_check_interval;
        co_await expire_offsets();
    }
}

group* group_manager::find(const std::string& group_id) {
    auto it = _groups.find(group_id);
    return it == _groups.end() ? nullptr : it->second.get();
}

void group_manager::drop_group(int32_t partition, const std::string& group_id) {
    _groups.erase(group_id);
    _loaded[partition].groups.erase(group_id);
    _empty_since_ms.erase(group_id);
}

group& group_manager::get_or_create(int32_t partition, const std::string& group_id) {
    auto it = _groups.find(group_id);
    if (it == _groups.end()) {
        it =
            _groups
                .emplace(group_id, std::make_unique<group>(group_id, _ex, _config.limits))
                .first;
        _group_partition[group_id] = partition;
        _loaded[partition].groups.insert(group_id);
    }
    return *it->second;
}

runtime::awaitable<error_code> group_manager::ensure_loaded(int32_t partition) {
    // Replaying reads the log synchronously (it is in the page cache, and
    // small once compacted).
    auto task = load_once(_loaded[partition].load, _ex,
                          [this, partition] { return replay(partition); });
    co_return co_await std::move(task);
}

error_code group_manager::replay(int32_t partition) {
    auto* m = _partitions.get(offsets_topic, partition);
    if (m == nullptr) {
        return error_code::coordinator_not_available;
    }
    auto what = fmt::format("__consumer_offsets-{}", partition);
    auto records = replay_records(
        m->log(), what,
        [&](const model::record_batch_header& h, const auto& key, const auto& value) {
            if (auto rec = decode_record(key, value)) {
                apply(partition, *rec, h);
            }
        },
        [&](const model::record_batch_header& h, bool commit) {
            end_transaction(h.producer_id, commit);
        });
    if (!records) {
        return error_code::coordinator_not_available;
    }
    if (*records > 0) {
        log.info("{}: {} records replayed", what, *records);
    }
    return error_code::none;
}

void group_manager::apply(int32_t partition, const coordinator_record& record,
                          const model::record_batch_header& batch) {
    if (const auto* o = std::get_if<offset_record>(&record)) {
        auto key = std::make_pair(o->key.topic, o->key.partition);
        if (batch.is_transactional()) {
            if (o->value) {
                _pending_txn[batch.producer_id][o->key.group][key] = *o->value;
            }
            return;
        }
        if (o->value) {
            _offsets[o->key.group][key] = *o->value;
            // A group known only by its offsets comes back empty, as Kafka
            // rebuilds a "simple" group from them.
            get_or_create(partition, o->key.group);
        } else {
            _offsets[o->key.group].erase(key);
        }
        return;
    }
    if (const auto* g = std::get_if<group_record>(&record)) {
        if (!g->value) {
            _groups.erase(g->key.group);
            _loaded[partition].groups.erase(g->key.group);
            return;
        }
        auto& grp = get_or_create(partition, g->key.group);
        grp.restore(*g->value, clock::now());
        if (grp.state() == group_state::empty) {
            _empty_since_ms[g->key.group] = g->value->current_state_timestamp;
        }
    }
}

runtime::awaitable<error_code> group_manager::append(int32_t partition,
                                                     std::vector<record_bytes> records,
                                                     batch_producer producer) {
    auto* m = _partitions.get(offsets_topic, partition);
    if (m == nullptr) {
        co_return error_code::coordinator_not_available;
    }
    auto task = append_records(*m, fmt::format("__consumer_offsets-{}", partition),
                               std::move(records), producer);
    co_return co_await std::move(task);
}

runtime::awaitable<error_code> group_manager::persist_group(int32_t partition,
                                                            const group& g) {
    std::vector<record_bytes> records;
    records.emplace_back(encode_group_key(g.id()),
                         encode_group_value(g.metadata(now_ms())));
    co_return co_await append(partition, std::move(records));
}

runtime::awaitable<protocol::join_group_response> group_manager::join(
    int32_t partition, protocol::join_group_request request, join_origin origin) {
    if (_shedding) {
        protocol::join_group_response r;
        r.error_code = static_cast<int16_t>(error_code::not_coordinator);
        co_return r;
    }
    if (auto e = co_await ensure_loaded(partition); e != error_code::none) {
        protocol::join_group_response r;
        r.error_code = static_cast<int16_t>(e);
        co_return r;
    }
    bool is_new = find(request.group_id) == nullptr;
    auto& g = get_or_create(partition, request.group_id);
    auto outcome = g.join(request, origin, clock::now());
    if (is_new && g.state() == group_state::empty && g.members().empty()
        && !g.expects_members()) {
        // A refused join (or one told its member id) creates no group.
        drop_group(partition, request.group_id);
    }
    if (outcome.now) {
        co_return std::move(*outcome.now);
    }
    auto slot = outcome.later;
    co_return co_await slot->wait();
}

runtime::awaitable<protocol::sync_group_response> group_manager::sync(
    int32_t partition, protocol::sync_group_request request) {
    auto e = _shedding ? error_code::not_coordinator : co_await ensure_loaded(partition);
    if (e != error_code::none) {
        protocol::sync_group_response r;
        r.error_code = static_cast<int16_t>(e);
        co_return r;
    }
    auto* g = find(request.group_id);
    if (g == nullptr) {
        protocol::sync_group_response r;
        r.error_code = static_cast<int16_t>(error_code::unknown_member_id);
        co_return r;
    }
    auto outcome = g->sync(request, clock::now());
    if (outcome.now) {
        co_return sync_response(*outcome.now, *g);
    }
    auto slot = outcome.later;
    if (outcome.leader_assigned) {
        auto finishing = finish_sync(partition, request.group_id, g->generation());
        co_await std::move(finishing);
    }
    auto answer = co_await slot->wait();
    auto* after = find(request.group_id);
    protocol::sync_group_response r;
    r.error_code = static_cast<int16_t>(answer.error);
    r.assignment = std::move(answer.assignment);
    if (after != nullptr && answer.error == error_code::none) {
        r.protocol_type = after->protocol_type();
        r.protocol_name = after->protocol_name();
    }
    co_return r;
}

runtime::awaitable<void> group_manager::finish_sync(int32_t partition,
                                                    std::string group_id,
                                                    int32_t generation) {
    auto* g = find(group_id);
    if (g == nullptr) {
        co_return;
    }
    auto e = co_await persist_group(partition, *g);
    if (auto* after = find(group_id)) {
        after->finish_sync(generation, e);
    }
}

runtime::awaitable<error_code> group_manager::heartbeat(
    int32_t partition, protocol::heartbeat_request request) {
    if (auto e = co_await ensure_loaded(partition); e != error_code::none) {
        co_return e;
    }
    auto* g = find(request.group_id);
    if (g == nullptr) {
        co_return error_code::unknown_member_id;
    }
    co_return g->heartbeat(request.member_id, request.group_instance_id,
                           request.generation_id, clock::now());
}

runtime::awaitable<protocol::leave_group_response> group_manager::leave(
    int32_t partition, protocol::leave_group_request request, int16_t version) {
    protocol::leave_group_response r;
    if (auto e = co_await ensure_loaded(partition); e != error_code::none) {
        r.error_code = static_cast<int16_t>(e);
        co_return r;
    }
    auto* g = find(request.group_id);
    // v0-2 name one member; v3+ (KIP-345) a batch, each answered.
    std::vector<protocol::leave_group_request::member_identity> leaving = request.members;
    if (version < 3) {
        leaving.push_back({.member_id = request.member_id});
    }
    auto now = clock::now();
    auto before = g ? g->state() : group_state::dead;
    for (const auto& m : leaving) {
        auto e = g ? g->leave(m.member_id, m.group_instance_id, now)
                   : error_code::unknown_member_id;
        if (version >= 3) {
            r.members.push_back({.member_id = m.member_id,
                                 .group_instance_id = m.group_instance_id,
                                 .error_code = static_cast<int16_t>(e)});
        } else {
            r.error_code = static_cast<int16_t>(e);
        }
    }
    if (g && before != group_state::empty && g->state() == group_state::empty) {
        _empty_since_ms[request.group_id] = now_ms();
        co_await persist_group(partition, *g);
    }
    co_return r;
}

runtime::awaitable<protocol::offset_commit_response> group_manager::commit(
    int32_t partition, protocol::offset_commit_request request, int16_t version) {
    return commit_with(partition, std::move(request), version, batch_producer{});
}

runtime::awaitable<protocol::offset_commit_response> group_manager::txn_commit(
    int32_t partition, protocol::offset_commit_request request, int64_t producer_id,
    int16_t epoch) {
    // TxnOffsetCommit follows OffsetCommit's rules before v9 (an unknown
    // group with a generation is ILLEGAL_GENERATION).
    constexpr int16_t as_version = 8;
    return commit_with(partition, std::move(request), as_version,
                       batch_producer{producer_id, epoch, true});
}

void group_manager::complete_txn(int64_t producer_id, bool commit) {
    end_transaction(producer_id, commit);
}

void group_manager::end_transaction(int64_t producer_id, bool commit) {
    auto it = _pending_txn.find(producer_id);
    if (it == _pending_txn.end()) {
        return;
    }
    if (commit) {
        for (auto& [group, offsets] : it->second) {
            auto& into = _offsets[group];
            for (auto& [key, v] : offsets) {
                into[key] = std::move(v);
            }
        }
    }
    _pending_txn.erase(it);
}

bool group_manager::has_pending_txn(const std::string& group,
                                    const std::pair<std::string, int32_t>& key) const {
    for (const auto& [pid, groups] : _pending_txn) {
        if (auto g = groups.find(group); g != groups.end() && g->second.contains(key)) {
            return true;
        }
    }
    return false;
}

runtime::awaitable<protocol::offset_commit_response> group_manager::commit_with(
    int32_t partition, protocol::offset_commit_request request, int16_t version,
    batch_producer producer) {
    protocol::offset_commit_response r;
    auto answer_all = [&](error_code e) {
        for (const auto& t : request.topics) {
            auto& out = r.topics.emplace_back();
            out.name = t.name;
            for (const auto& p : t.partitions) {
                out.partitions.push_back({.partition_index = p.partition_index,
                                          .error_code = static_cast<int16_t>(e)});
            }
        }
        return r;
    };
    if (auto e = co_await ensure_loaded(partition); e != error_code::none) {
        co_return answer_all(e);
    }
    auto* g = find(request.group_id);
    // Kafka's rules: a commit with a negative generation to an empty or
    // absent group is a tool's (or an assign() consumer's), whoever sends it;
    // a generation for a group that does not exist is GROUP_ID_NOT_FOUND
    // from v9, ILLEGAL_GENERATION before.
    // Transactional offsets (TxnOffsetCommit) are checked as Kafka checks
    // them: the member and generation only when given, and not against a
    // rebalance, since they count only once the transaction commits.
    auto generation = request.generation_id_or_member_epoch;
    auto txn_check = [&] {
        if (!request.member_id.empty() && !g->has_member(request.member_id)) {
            return error_code::unknown_member_id;
        }
        return generation >= 0 && generation != g->generation()
            ? error_code::illegal_generation
            : error_code::none;
    };
    auto check = g && producer.transactional ? txn_check()
        : g ? g->check_commit(request.member_id, request.group_instance_id, generation,
                              clock::now())
        : generation < 0 ? error_code::none
        : version >= 9   ? error_code::group_id_not_found
                         : error_code::illegal_generation;
    if (check != error_code::none) {
        co_return answer_all(check);
    }
    if (g == nullptr) {
        // Offsets of a group that never joined (assign() and commit): the
        // group exists from now on, empty.
        g = &get_or_create(partition, request.group_id);
        _empty_since_ms[request.group_id] = now_ms();
    }
    std::vector<record_bytes> records;
    std::vector<std::pair<std::pair<std::string, int32_t>, protocol::offset_commit_value>>
        values;
    int64_t now = now_ms();
    for (const auto& t : request.topics) {
        auto& out = r.topics.emplace_back();
        out.name = t.name;
        for (const auto& p : t.partitions) {
            auto& po = out.partitions.emplace_back();
            po.partition_index = p.partition_index;
            const auto& metadata = p.committed_metadata.value_or("");
            if (metadata.size() > _config.max_metadata_bytes) {
                po.error_code =
                    static_cast<int16_t>(error_code::offset_metadata_too_large);
                continue;
            }
            protocol::offset_commit_value v{.offset = p.committed_offset,
                                            .leader_epoch = p.committed_leader_epoch,
                                            .metadata = metadata,
                                            .commit_timestamp = now};
            records.emplace_back(
                encode_offset_key(request.group_id, t.name, p.partition_index),
                encode_offset_value(v));
            values.emplace_back(std::make_pair(t.name, p.partition_index), v);
        }
    }
    if (records.empty()) {
        co_return r;
    }
    auto e = co_await append(partition, std::move(records), producer);
    if (e != error_code::none) {
        for (auto& t : r.topics) {
            for (auto& p : t.partitions) {
                if (p.error_code == 0) {
                    p.error_code = static_cast<int16_t>(e);
                }
            }
        }
        co_return r;
    }
    // A transaction's offsets count once its commit marker is written.
    auto& offsets = producer.transactional
        ? _pending_txn[producer.producer_id][request.group_id]
        : _offsets[request.group_id];
    for (auto& [key, v] : values) {
        offsets[key] = std::move(v);
    }
    co_return r;
}

runtime::awaitable<
    std::pair<error_code, std::map<std::pair<std::string, int32_t>, committed>>>
group_manager::fetch_offsets(
    int32_t partition, std::string group_id,
    std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>> topics) {
    std::map<std::pair<std::string, int32_t>, committed> out;
    if (auto e = co_await ensure_loaded(partition); e != error_code::none) {
        co_return std::make_pair(e, std::move(out));
    }
    auto it = _offsets.find(group_id);
    auto lookup = [&](const std::string& topic, int32_t p) {
        committed c;
        if (it != _offsets.end()) {
            if (auto o = it->second.find({topic, p}); o != it->second.end()) {
                c = {o->second.offset, o->second.leader_epoch, o->second.metadata};
            }
        }
        c.unstable = !_pending_txn.empty() && has_pending_txn(group_id, {topic, p});
        return c;
    };
    if (topics) {
        for (const auto& [topic, partitions] : *topics) {
            for (int32_t p : partitions) {
                out[{topic, p}] = lookup(topic, p);
            }
        }
    } else if (it != _offsets.end()) {
        for (const auto& [key, v] : it->second) {
            out[key] = {v.offset, v.leader_epoch, v.metadata};
        }
    }
    co_return std::make_pair(error_code::none, std::move(out));
}

runtime::awaitable<protocol::describe_groups_response::described_group>
group_manager::describe(int32_t partition, std::string group_id) {
    protocol::describe_groups_response::described_group d;
    d.group_id = group_id;
    if (auto e = co_await ensure_loaded(partition); e != error_code::none) {
        d.error_code = static_cast<int16_t>(e);
        co_return d;
    }
    auto* g = find(group_id);
    if (g == nullptr) {
        // Kafka describes a group it does not know as Dead, without error.
        d.group_state = std::string(to_string(group_state::dead));
        co_return d;
    }
    d.group_state = std::string(to_string(g->state()));
    d.protocol_type = g->protocol_type();
    // The protocol is only settled once the group is stable.
    if (g->state() == group_state::stable && g->protocol_name()) {
        d.protocol_data = *g->protocol_name();
    }
    for (const auto& [id, m] : g->members()) {
        auto& out = d.members.emplace_back();
        out.member_id = id;
        out.group_instance_id = m.instance_id;
        out.client_id = m.client_id;
        out.client_host = m.client_host;
        if (g->state() == group_state::stable && g->protocol_name()) {
            if (const auto* md = m.metadata_for(*g->protocol_name())) {
                out.member_metadata = *md;
            }
            out.member_assignment = m.assignment;
        }
    }
    co_return d;
}

runtime::awaitable<std::vector<protocol::list_groups_response::listed_group>>
group_manager::list(std::vector<int32_t> partitions) {
    for (int32_t p : partitions) {
        co_await ensure_loaded(p);
    }
    std::vector<protocol::list_groups_response::listed_group> out;
    for (const auto& [id, g] : _groups) {
        if (g->state() == group_state::dead) {
            continue;
        }
        out.push_back({.group_id = id,
                       .protocol_type = g->protocol_type(),
                       .group_state = std::string(to_string(g->state())),
                       .group_type = "classic"});
    }
    co_return out;
}

runtime::awaitable<error_code> group_manager::delete_group(int32_t partition,
                                                           std::string group_id) {
    if (auto e = co_await ensure_loaded(partition); e != error_code::none) {
        co_return e;
    }
    auto* g = find(group_id);
    bool has_offsets = _offsets.contains(group_id) && !_offsets[group_id].empty();
    if (g == nullptr && !has_offsets) {
        co_return error_code::group_id_not_found;
    }
    if (g != nullptr && g->state() != group_state::empty
        && g->state() != group_state::dead) {
        co_return error_code::non_empty_group;
    }
    // Tombstones for every offset and the group itself.
    std::vector<record_bytes> records;
    for (const auto& [key, v] : _offsets[group_id]) {
        records.emplace_back(encode_offset_key(group_id, key.first, key.second),
                             std::nullopt);
    }
    records.emplace_back(encode_group_key(group_id), std::nullopt);
    auto e = co_await append(partition, std::move(records));
    if (e != error_code::none) {
        co_return e;
    }
    _offsets.erase(group_id);
    if (auto* gone = find(group_id)) {
        gone->mark_dead();
    }
    _groups.erase(group_id);
    _loaded[partition].groups.erase(group_id);
    _empty_since_ms.erase(group_id);
    co_return error_code::none;
}

runtime::awaitable<protocol::offset_delete_response> group_manager::delete_offsets(
    int32_t partition, protocol::offset_delete_request request) {
    protocol::offset_delete_response r;
    if (auto e = co_await ensure_loaded(partition); e != error_code::none) {
        r.error_code = static_cast<int16_t>(e);
        co_return r;
    }
    auto* g = find(request.group_id);
    if (g == nullptr && !_offsets.contains(request.group_id)) {
        r.error_code = static_cast<int16_t>(error_code::group_id_not_found);
        co_return r;
    }
    // A live group keeps the offsets of the topics it consumes.
    std::vector<std::string> subscribed;
    if (g != nullptr && g->state() != group_state::empty) {
        subscribed = g->subscribed_topics();
    }
    std::vector<record_bytes> records;
    std::vector<std::pair<std::string, int32_t>> deleted;
    for (const auto& t : request.topics) {
        auto& out = r.topics.emplace_back();
        out.name = t.name;
        bool busy =
            std::find(subscribed.begin(), subscribed.end(), t.name) != subscribed.end();
        for (const auto& p : t.partitions) {
            auto& po = out.partitions.emplace_back();
            po.partition_index = p.partition_index;
            if (busy) {
                po.error_code =
                    static_cast<int16_t>(error_code::group_subscribed_to_topic);
                continue;
            }
            records.emplace_back(
                encode_offset_key(request.group_id, t.name, p.partition_index),
                std::nullopt);
            deleted.emplace_back(t.name, p.partition_index);
        }
    }
    if (!records.empty()) {
        auto e = co_await append(partition, std::move(records));
        if (e != error_code::none) {
            r.error_code = static_cast<int16_t>(e);
            co_return r;
        }
        for (const auto& key : deleted) {
            _offsets[request.group_id].erase(key);
        }
    }
    co_return r;
}

// offsets.retention.minutes: the offsets of a group that has been empty
// (or never had members) for that long are deleted, and then the group.
runtime::awaitable<void> group_manager::expire_offsets() {
    int64_t now = now_ms();
    auto retention = _config.offsets_retention.count();
    std::vector<std::string> ids;
    for (const auto& [id, offsets] : _offsets) {
        ids.push_back(id);
    }
    for (const auto& id : ids) {
        auto* g = find(id);
        if (g != nullptr && g->state() != group_state::empty) {
            continue;
        }
        auto part = _group_partition.find(id);
        if (part == _group_partition.end()) {
            continue;
        }
        int64_t empty_since = _empty_since_ms.contains(id) ? _empty_since_ms[id] : 0;
        std::vector<record_bytes> records;
        std::vector<std::pair<std::string, int32_t>> expired;
        for (const auto& [key, v] : _offsets[id]) {
            if (now - std::max(v.commit_timestamp, empty_since) > retention) {
                records.emplace_back(encode_offset_key(id, key.first, key.second),
                                     std::nullopt);
                expired.push_back(key);
            }
        }
        if (records.empty()) {
            continue;
        }
        bool all = expired.size() == _offsets[id].size();
        if (all) {
            records.emplace_back(encode_group_key(id), std::nullopt);
        }
        auto e = co_await append(part->second, std::move(records));
        if (e != error_code::none) {
            continue;
        }
        log.info("group {}: {} offsets expired (offsets.retention.minutes)", id,
                 expired.size());
        for (const auto& key : expired) {
            _offsets[id].erase(key);
        }
        if (all) {
            _offsets.erase(id);
            _groups.erase(id);
            _empty_since_ms.erase(id);
        }
    }
    co_await remove_empty_groups();
}

// As Kafka does at each cleanup: an empty group without offsets is over.
runtime::awaitable<void> group_manager::remove_empty_groups() {
    std::vector<std::pair<std::string, int32_t>> gone;
    for (const auto& [id, g] : _groups) {
        bool has_offsets = _offsets.contains(id) && !_offsets.at(id).empty();
        if (g->state() == group_state::empty && !has_offsets) {
            gone.emplace_back(id, _group_partition[id]);
        }
    }
    for (const auto& [id, partition] : gone) {
        std::vector<record_bytes> records;
        records.emplace_back(encode_group_key(id), std::nullopt);
        if (co_await append(partition, std::move(records)) != error_code::none) {
            continue;
        }
        auto* g = find(id);
        if (g != nullptr && g->state() == group_state::empty) {
            _groups.erase(id);
            _loaded[partition].groups.erase(id);
            _empty_since_ms.erase(id);
        }
    }
}

} // namespace kafka::group
