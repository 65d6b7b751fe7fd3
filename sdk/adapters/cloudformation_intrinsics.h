// CloudFormation's intrinsic functions, resolved before deployment (cloudformation_intrinsics.cc),
// for the template reader (cloudformation.cc) and, through internal::CloudFormationContext, the KMS
// key reader (cloudformation_kms.cc). Internal to sdk/adapters.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kmsguard::adapters::internal {

// One way a value resolves over the branches of the `Fn::If`s it holds.
struct CloudFormationVariant {
  std::string label;  // "IsProd", "not IsProd"; empty when there is one variant
  nlohmann::json value;
};

// A template parameter's value where policies use it: the --parameter value, else the Default.
// Neither, or a type whose Default is not the value (SSM parameter types): unknown.
struct CloudFormationParameterValue {
  bool known = false;
  nlohmann::json value;  // a string, or a list of strings (List<...>, CommaDelimitedList)
  std::string unknown;   // why it is unknown, for the warning
};
using CloudFormationParameterValues =
    std::map<std::string, CloudFormationParameterValue, std::less<>>;

// Resolves the intrinsic functions of one template. In: the template's root (for Fn::FindInMap)
// and its parameters' values, which the template reader fills before it resolves anything; both
// must outlive the resolver. Out: values with every function resolved where literal, else
// replaced by a `${...}` variable, and the parameters that were used without a value.
class CloudFormationResolver {
 public:
  // A policy is judged once per combination of the conditions its `Fn::If`s name, up to this many
  // conditions (2^6 = 64 variants); a policy with more is not evaluated (an ERROR).
  static constexpr std::size_t kMaxPolicyConditions = 6;

  CloudFormationResolver(const nlohmann::json& root,
                         const CloudFormationParameterValues& parameters)
      : root_(root), parameters_(parameters) {}

  // Parameters that policies or names used but that have no value (a variable stood in).
  const std::set<std::string>& unresolved() const { return unresolved_; }

  // Every distinct value `value` takes over the branches of the `Fn::If`s in it: each condition
  // is true in one deployment and false in another, and both branches are literal, so each is
  // evaluated (conditions are not evaluated from parameters: a deployment may choose either).
  // Conditions are taken as independent, which can only add combinations no deployment has. A
  // variant's label names the conditions its resolution consulted. Empty (and `*too_many` set)
  // past kMaxPolicyConditions conditions.
  std::vector<CloudFormationVariant> Variants(const nlohmann::json& value, bool* too_many) const;

  // The value with every intrinsic function resolved or replaced by a `${...}` variable.
  // AWS::NoValue removes the member or element that holds it.
  nlohmann::json Resolve(const nlohmann::json& value) const;

  // A resolved value as text, when it is a string without unknown parts.
  static bool Literal(const nlohmann::json& value, std::string* out);

 private:
  nlohmann::json Intrinsic(const std::string& name, const nlohmann::json& arg) const;
  nlohmann::json Sub(const nlohmann::json& arg) const;
  static const nlohmann::json* Member(const nlohmann::json* object, const std::string& key);
  static const nlohmann::json* Member(const nlohmann::json& object, const std::string& key);
  const nlohmann::json* Parameter(const std::string& name) const;
  static void CollectConditions(const nlohmann::json& value, std::vector<std::string>* out);

  const nlohmann::json& root_;
  const CloudFormationParameterValues& parameters_;
  // Set by Variants while it resolves one combination: the branch of each condition, and the
  // conditions consulted. Resolution is otherwise a pure function of the template.
  mutable const std::map<std::string, bool, std::less<>>* branches_ = nullptr;
  mutable std::set<std::string>* consulted_ = nullptr;
  mutable std::set<std::string> unresolved_;
};

// A statement element whose value is not known before deployment and which cannot be judged by
// reading the unknown as one specific value (a policy variable).
struct CloudFormationUnknownPart {
  std::string element;      // "Action", "NotAction", "NotResource"
  std::string description;  // "statement 0 (Allow) has the Action \"${P}\", which is ..."
};

// Reading an unknown value as one specific value (docs/iam-semantics.md rule 6) is the safe side
// where it narrows what a policy reaches: an Allow's Resource (one resource is never every
// key), a Deny's Action or Resource (it cancels less). It is not where the unknown could be the
// very thing a rule looks for, or could hold wildcards:
//  - an Allow's Action and a Deny's NotAction: any unknown (one action can be kms:Decrypt);
//  - a Deny's NotResource: a value that can hold wildcards, i.e. a parameter without a value
//    (`unresolved`) or what a function left unknown (`${Fn::...}`, e.g. an import); a pseudo
//    parameter, an attribute or an IAM policy variable is one specific value there.
// The statements of `document`, a resolved policy document (an object, or JSON text: one written
// with !Sub): its Statement list, a lone statement as a list of one, or empty when it has none.
nlohmann::json PolicyStatements(const nlohmann::json& document);

// The first such statement of `document` (a resolved policy document: an object, or JSON text),
// given the resolver's unresolved() parameters, if any.
std::optional<CloudFormationUnknownPart> FindUnknownPart(const nlohmann::json& document,
                                                         const std::set<std::string>& unresolved);

}  // namespace kmsguard::adapters::internal
