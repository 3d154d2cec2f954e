#include "trie/trie.hpp"

#include "trie/detail/node_source.hpp"
#include "trie/detail/walks.hpp"

namespace hypermount::trie {

namespace {

uint64_t stored_flags(uint64_t user_flags, bool hidden) {
  return (user_flags << kUserFlagsShift) | (hidden ? kHiddenFlag : 0);
}

// §9 step 5: the node that re-writes the closest neighbour (or the '' marker), with its routing
// table built from `head` without the deleted node.
Result<std::shared_ptr<Node>> build_delete_node(detail::NodeSource& source, NodePtr head,
                                                const detail::DeleteWalk& walk) {
  NodePtr closest;
  if (walk.closest != 0) {
    HM_TRY_ASSIGN(closest, source.node(walk.closest));
  }
  std::shared_ptr<Node> node;
  if (closest) {
    node = std::make_shared<Node>(closest->key(), closest->value(),
                                  stored_flags(closest->user_flags(), closest->hidden()));
  } else {
    node = std::make_shared<Node>("", std::nullopt, stored_flags(0, walk.target->hidden()));
  }
  HM_TRY(detail::walk_put(source, std::move(head), *node, walk.target->seq()));
  return node;
}

}  // namespace

Trie::Trie(BlockReader& reader) : Trie(reader, nullptr, 0, std::make_shared<NodeCache>()) {}

Trie::Trie(BlockReader& reader, BlockLog* log, uint64_t checkout, std::shared_ptr<NodeCache> cache)
    : reader_(reader), log_(log), checkout_(checkout), cache_(std::move(cache)) {}

Result<std::unique_ptr<Trie>> Trie::open(BlockLog& log, const OpenOptions& options) {
  if (log.length() == 0) {
    if (!log.writable()) {
      return Error::read_only("trie: empty log is not writable, cannot write the header");
    }
    const Bytes block =
        encode_header(Header{std::string(kHeaderType), options.metadata, options.subtype});
    HM_TRY(log.append({ByteView(block)}));
  }
  return std::unique_ptr<Trie>(
      new Trie(log, log.writable() ? &log : nullptr, 0, std::make_shared<NodeCache>()));
}

uint64_t Trie::version() const { return checkout_ != 0 ? checkout_ : reader_.length(); }

uint64_t Trie::head_seq() const {
  const uint64_t v = version();
  return v >= 2 ? v - 1 : 0;
}

std::unique_ptr<Trie> Trie::checkout(uint64_t version) const {
  return std::unique_ptr<Trie>(new Trie(reader_, nullptr, version == 0 ? 1 : version, cache_));
}

Result<Header> Trie::header() {
  auto block = reader_.block(0);
  if (!block) {
    missing_.clear();
    if (block.error().code() == Errc::Unavailable) {
      missing_.push_back(0);
    }
    return block.error();
  }
  return decode_header(*block);
}

Status Trie::check_writable() const {
  if (log_ == nullptr || checkout_ != 0) {
    return Error::read_only("trie: this view is read-only");
  }
  return {};
}

Result<NodePtr> Trie::get(std::string_view key, const GetOptions& options) {
  missing_.clear();
  detail::NodeSource source(reader_, *cache_);
  const Node query(key, std::nullopt, stored_flags(0, options.hidden));
  auto run = [&]() -> Result<NodePtr> {
    HM_TRY_ASSIGN(NodePtr head, source.node(head_seq()));
    return detail::walk_get(source, std::move(head), query, options.prefix, options.closest);
  };
  auto result = run();
  if (!result) {
    missing_ = source.missing();
  }
  return result;
}

Result<NodePtr> Trie::put(std::string_view key, std::optional<ByteView> value,
                          const PutOptions& options) {
  missing_.clear();
  HM_TRY(check_writable());
  auto node = std::make_shared<Node>(
      key, value ? std::optional<Bytes>(Bytes(value->begin(), value->end())) : std::nullopt,
      stored_flags(options.flags, options.hidden));
  if (node->key().empty()) {
    // §9.3: a '' node reads as an empty trie; hypertrie would write it, we refuse.
    return Error::invalid("trie put: the empty key would hide every other key");
  }
  detail::NodeSource source(reader_, *cache_);
  auto run = [&]() -> Result<NodePtr> {
    HM_TRY_ASSIGN(NodePtr head, source.node(head_seq()));
    return detail::walk_put(source, std::move(head), *node, 0);
  };
  auto walked = run();
  if (!walked) {
    missing_ = source.missing();
    return walked.error();
  }
  if (options.condition) {
    NodePtr reached = *walked;
    const Node* arg = nullptr;
    if (options.closest) {
      arg = reached.get();
    } else if (reached && reached->key() == node->key()) {
      arg = reached.get();
    }
    if (!options.condition(arg, *node)) {
      return NodePtr{};
    }
  }
  node->set_seq(log_->length());
  const Bytes block = encode_node(*node);
  HM_TRY(log_->append({ByteView(block)}));
  return NodePtr(node);
}

Result<NodePtr> Trie::del(std::string_view key, const DeleteOptions& options) {
  missing_.clear();
  HM_TRY(check_writable());
  const Node query(key, std::nullopt, stored_flags(0, options.hidden));
  detail::NodeSource source(reader_, *cache_);
  auto run = [&]() -> Result<std::shared_ptr<Node>> {
    HM_TRY_ASSIGN(NodePtr head, source.node(head_seq()));
    if (!head) {
      return std::shared_ptr<Node>();
    }
    HM_TRY_ASSIGN(detail::DeleteWalk walk, detail::walk_delete(source, head, query));
    if (!walk.target) {
      if (options.condition && options.closest) {
        options.condition(walk.stopped_at.get());
      }
      return std::shared_ptr<Node>();
    }
    if (options.condition && !options.condition(walk.target.get())) {
      return std::shared_ptr<Node>();
    }
    return build_delete_node(source, head, walk);
  };
  auto built = run();
  if (!built) {
    missing_ = source.missing();
    return built.error();
  }
  if (!*built) {
    return NodePtr{};
  }
  std::shared_ptr<Node> node = std::move(*built);
  node->set_seq(log_->length());
  const Bytes block = encode_node(*node);
  HM_TRY(log_->append({ByteView(block)}));
  return NodePtr(node);
}

Result<std::vector<NodePtr>> Trie::batch(const std::vector<BatchOp>& ops) {
  missing_.clear();
  HM_TRY(check_writable());
  const uint64_t offset = log_->length();
  std::vector<NodePtr> nodes;
  detail::NodeSource source(reader_, *cache_);
  source.set_overlay(&nodes, offset);
  auto run = [&]() -> Status {
    HM_TRY_ASSIGN(NodePtr head, source.node(head_seq()));
    for (const BatchOp& op : ops) {
      std::shared_ptr<Node> node;
      if (op.type == BatchOp::Type::Put) {
        node = std::make_shared<Node>(op.key, op.value, stored_flags(op.flags, op.hidden));
        if (node->key().empty()) {
          return Error::invalid("trie batch: the empty key would hide every other key");
        }
        HM_TRY(detail::walk_put(source, head, *node, 0));
      } else {
        if (!head) {
          continue;
        }
        const Node query(op.key, std::nullopt, stored_flags(0, op.hidden));
        HM_TRY_ASSIGN(detail::DeleteWalk walk, detail::walk_delete(source, head, query));
        if (!walk.target) {
          continue;
        }
        HM_TRY_ASSIGN(node, build_delete_node(source, head, walk));
      }
      node->set_seq(offset + nodes.size());
      nodes.push_back(node);
      head = node;
    }
    return {};
  };
  auto ran = run();
  if (!ran) {
    missing_ = source.missing();
    return ran.error();
  }
  if (nodes.empty()) {
    return nodes;
  }
  std::vector<Bytes> blocks;
  blocks.reserve(nodes.size());
  for (const NodePtr& n : nodes) {
    blocks.push_back(encode_node(*n));
  }
  std::vector<ByteView> views(blocks.begin(), blocks.end());
  HM_TRY(log_->append(views));
  return nodes;
}

Iterator Trie::iterator(std::string_view prefix, const ListOptions& options) const {
  return Iterator(reader_, cache_, head_seq(), std::string(prefix), options);
}

Result<std::vector<NodePtr>> Trie::list(std::string_view prefix, const ListOptions& options) {
  missing_.clear();
  Iterator it = iterator(prefix, options);
  std::vector<NodePtr> out;
  while (true) {
    auto n = it.next();
    if (!n) {
      missing_ = n.error().code() == Errc::Unavailable ? it.frontier() : it.missing_seqs();
      return n.error();
    }
    if (!*n) {
      return out;
    }
    out.push_back(std::move(*n));
  }
}

}  // namespace hypermount::trie
