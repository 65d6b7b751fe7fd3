// AWS::KMS::Key resources of a CloudFormation template -> normalized KMS keys
// (docs/resource-model.md). Internal to sdk/adapters: the template reader (cloudformation.cc)
// lends this reader its intrinsic-function resolver, positions and diagnostics through
// CloudFormationContext, so that a key's properties resolve exactly as the IAM resources' do.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/adapters/cloudformation_intrinsics.h"
#include "sdk/core/diagnostic.h"
#include "sdk/model/resource.h"

namespace kmsguard::adapters::internal {

class CloudFormationContext {
 public:
  virtual ~CloudFormationContext() = default;

  // `value` with every intrinsic function resolved where literal, or replaced by a `${...}`
  // variable; a discarded value for `Ref: AWS::NoValue`.
  virtual nlohmann::json Resolve(const nlohmann::json& value) const = 0;

  // The distinct values of a policy over the branches of its `Fn::If` conditions; past the
  // template reader's limit, one "<not evaluated: ...>" text (reported).
  virtual std::vector<CloudFormationVariant> PolicyVariants(const nlohmann::json& value,
                                                            const std::string& pointer,
                                                            const std::string& logical_id) = 0;

  // Why a statement of the resolved `document` cannot be judged before deployment (an Allow's
  // Action, a Deny's NotAction or NotResource that is not known), or nullopt.
  virtual std::optional<std::string> UnknownStatement(const nlohmann::json& document) const = 0;

  // Whether the variable `${name}` may stand for a value holding wildcards: a parameter without a
  // value, or what a function left unknown (`Fn::...`). A pseudo parameter or an attribute is one
  // specific value.
  virtual bool MayHoldWildcards(std::string_view name) const = 0;

  // The location of `pointer` (line and column when known).
  virtual core::SourceLocation Location(const std::string& pointer,
                                        const std::string& logical_id) = 0;

  virtual core::Diagnostics* diagnostics() = 0;
};

// The keys one AWS::KMS::Key entry gives: one, or one per variant of its KeyPolicy over the
// conditions of its `Fn::If`s (id "cloudformation:ID (if COND)"), each judged on its own as a
// managed policy's variants are. `properties` is the entry's Properties object (empty when none).
std::vector<model::Resource> ReadCloudFormationKmsKey(CloudFormationContext& context,
                                                      const std::string& logical_id,
                                                      const std::string& pointer,
                                                      const nlohmann::json& properties);

}  // namespace kmsguard::adapters::internal
