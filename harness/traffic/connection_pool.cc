#include "harness/traffic/connection_pool.h"

#include <limits>

namespace lbchaos::traffic {

ConnectionPool::ConnectionPool(const boost::asio::io_context::executor_type& executor,
                               int max_connections, int clients, int instances)
    : executor_(executor),
      max_connections_(static_cast<std::size_t>(max_connections)),
      clients_(clients),
      instances_(instances),
      idle_(static_cast<std::size_t>(clients) * static_cast<std::size_t>(instances)),
      idle_count_(static_cast<std::size_t>(instances), 0) {}

Connection* ConnectionPool::take_idle(int instance, int client) {
  auto& list = idle_list(instance, client);
  if (list.empty()) return nullptr;
  Connection* connection = list.back();
  list.pop_back();
  --idle_count_[static_cast<std::size_t>(instance)];
  return connection;
}

Connection* ConnectionPool::take_any_idle(int instance) {
  if (idle_count_[static_cast<std::size_t>(instance)] == 0) return nullptr;
  for (int client = 0; client < clients_; ++client) {
    if (Connection* connection = take_idle(instance, client)) return connection;
  }
  return nullptr;
}

Connection* ConnectionPool::acquire(int instance, int client) {
  Connection* connection = take_idle(instance, client);
  if (connection == nullptr) {
    if (!free_.empty()) {
      connection = free_.back();
      free_.pop_back();
    } else if (connections_.size() < max_connections_) {
      connections_.push_back(std::make_unique<Connection>(executor_));
      connection = connections_.back().get();
    } else if ((connection = take_any_idle(instance)) == nullptr) {
      for (int other = 0; other < instances_ && connection == nullptr; ++other) {
        connection = take_any_idle(other);
      }
      if (connection == nullptr) return nullptr;
      boost::system::error_code ignored;
      connection->socket.close(ignored);
    }
    if (!connection->socket.is_open()) {
      connection->client = static_cast<std::uint16_t>(client);
      connection->instance = static_cast<std::uint8_t>(instance);
    }
  }
  connection->state = Connection::State::kBusy;
  connection->timed_out = false;
  connection->deadline_ns = std::numeric_limits<std::int64_t>::max();  // set when sending starts
  return connection;
}

void ConnectionPool::release_idle(Connection& connection) {
  connection.state = Connection::State::kIdle;
  idle_list(connection.instance, connection.client).push_back(&connection);
  ++idle_count_[connection.instance];
}

void ConnectionPool::release_closed(Connection& connection) {
  boost::system::error_code ignored;
  connection.socket.close(ignored);
  connection.state = Connection::State::kFree;
  free_.push_back(&connection);
}

void ConnectionPool::expire(std::int64_t now_ns) {
  for (const auto& connection : connections_) {
    if (connection->state == Connection::State::kBusy && !connection->timed_out &&
        connection->deadline_ns <= now_ns) {
      connection->timed_out = true;
      boost::system::error_code ignored;
      connection->socket.close(ignored);
    }
  }
}

void ConnectionPool::close_idle() {
  for (int instance = 0; instance < instances_; ++instance) {
    while (Connection* connection = take_any_idle(instance)) release_closed(*connection);
  }
}

}  // namespace lbchaos::traffic
