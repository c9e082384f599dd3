// Errors as values. A Status says what went wrong and, through its Code, what the
// caller should do next; Result<T> is a value or the Status that explains its absence.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace pinwatch {

// Code tells the caller what to do next. It doubles as the closed set of error labels
// in metrics, so add to it sparingly.
enum class Code {
  kOk,
  kMalformed,           // bad input: record it, count it, never retry
  kUnavailable,         // transient (HTTP 429/5xx, timeout, broken connection): retry with backoff
  kAborted,             // retry the whole transaction
  kInDoubt,             // a commit may or may not have happened: re-read before going on
  kFailedPrecondition,  // fatal for that log until someone acts (wrong key, missing state)
  kNotFound,            // what was asked for does not exist (an operator's id or name)
  kMisbehaviour,        // a log broke its promises (bad signature, root mismatch): evidence attached
  kInternal,            // our own bug or an unexpected library failure
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // ToString returns "CODE: message", or "OK".
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status MalformedError(std::string m) { return {Code::kMalformed, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status MisbehaviourError(std::string m) { return {Code::kMisbehaviour, std::move(m)}; }
inline Status InternalError(std::string m) { return {Code::kInternal, std::move(m)}; }

// Result holds a T or a non-OK Status. Accessing the value of an error is our bug.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit, like absl::StatusOr
  Result(Status status) : v_(std::move(status)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace pinwatch
