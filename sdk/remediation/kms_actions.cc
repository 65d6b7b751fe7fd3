#include "sdk/remediation/kms_actions.h"

namespace kmsguard::remediation {

const std::vector<std::string_view>& KmsActionNames() {
  // Sorted; "kms:" prefixed as they are written in policies. ReEncryptFrom and ReEncryptTo are
  // the two permissions the ReEncrypt operation needs; there is no "kms:ReEncrypt" action.
  static const auto* const kActions = new std::vector<std::string_view>{
      "kms:CancelKeyDeletion",
      "kms:ConnectCustomKeyStore",
      "kms:CreateAlias",
      "kms:CreateCustomKeyStore",
      "kms:CreateGrant",
      "kms:CreateKey",
      "kms:Decrypt",
      "kms:DeleteAlias",
      "kms:DeleteCustomKeyStore",
      "kms:DeleteImportedKeyMaterial",
      "kms:DeriveSharedSecret",
      "kms:DescribeCustomKeyStores",
      "kms:DescribeKey",
      "kms:DisableKey",
      "kms:DisableKeyRotation",
      "kms:DisconnectCustomKeyStore",
      "kms:EnableKey",
      "kms:EnableKeyRotation",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyPair",
      "kms:GenerateDataKeyPairWithoutPlaintext",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:GenerateMac",
      "kms:GenerateRandom",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:GetParametersForImport",
      "kms:GetPublicKey",
      "kms:ImportKeyMaterial",
      "kms:ListAliases",
      "kms:ListGrants",
      "kms:ListKeyPolicies",
      "kms:ListKeyRotations",
      "kms:ListKeys",
      "kms:ListResourceTags",
      "kms:ListRetirableGrants",
      "kms:PutKeyPolicy",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
      "kms:ReplicateKey",
      "kms:RetireGrant",
      "kms:RevokeGrant",
      "kms:RotateKeyOnDemand",
      "kms:ScheduleKeyDeletion",
      "kms:Sign",
      "kms:SynchronizeMultiRegionKey",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateCustomKeyStore",
      "kms:UpdateKeyDescription",
      "kms:UpdatePrimaryRegion",
      "kms:Verify",
      "kms:VerifyMac",
  };
  return *kActions;
}

}  // namespace kmsguard::remediation
