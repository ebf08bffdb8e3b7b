#include "valence/convert.h"

#include <gtest/gtest.h>

namespace demo {
struct User {
  std::string name;
  int age = 0;
  std::optional<std::string> email;
  std::vector<std::string> roles;
};
struct Envelope {
  User user;
  std::map<std::string, double> scores;
};
}  // namespace demo

VALENCE_STRUCT(demo::User, name, age, email, roles);
VALENCE_STRUCT(demo::Envelope, user, scores);

namespace valence {
namespace {

TEST(Convert, StructsRoundTrip) {
  demo::Envelope e{{"ada", 36, std::nullopt, {"admin", "dev"}}, {{"x", 1.5}}};
  Value v = to_value(e);
  EXPECT_EQ(v["user"]["name"].get_string(), "ada");
  EXPECT_TRUE(v["user"]["email"].is_null());
  auto back = from_value<demo::Envelope>(v);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->user.name, "ada");
  EXPECT_EQ(back->user.age, 36);
  EXPECT_EQ(back->user.roles, (std::vector<std::string>{"admin", "dev"}));
  EXPECT_EQ(back->scores.at("x"), 1.5);
}

TEST(Convert, MismatchNamesThePath) {
  Value v =
      Value::array({1, Value::object({{"user", Value::object({{"name", "x"}, {"age", "old"}})}})});
  const Value& arg = v.get_array().items()[1];
  auto r = from_value<demo::Envelope>(arg, "args[1]");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "args[1].user.age: expected number, got string");
  EXPECT_EQ(r.error().code, ErrorCode::kTypeMismatch);

  Value roles = Value::object({{"name", "x"}, {"age", 1}, {"roles", Value::array({"a", 2})}});
  auto r2 = from_value<demo::User>(roles, "user");
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().message, "user.roles[1]: expected string, got number");
}

TEST(Convert, IntegersMustFit) {
  EXPECT_EQ(*from_value<std::uint8_t>(Value(255)), 255);
  auto r = from_value<std::uint8_t>(Value(256), "n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "n: expected an integer that fits uint8, got 256");
  EXPECT_FALSE(from_value<int>(Value(1.5)));
  EXPECT_EQ(*from_value<double>(Value(1.5)), 1.5);
  EXPECT_EQ(*from_value<std::optional<int>>(Value()), std::nullopt);
}

TEST(Convert, UnorderedMapsAndNestedVectors) {
  std::unordered_map<std::string, std::vector<int>> m{{"a", {1, 2}}};
  Value v = to_value(m);
  auto back = from_value<std::unordered_map<std::string, std::vector<int>>>(v);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->at("a"), (std::vector<int>{1, 2}));
}

}  // namespace
}  // namespace valence
