package kmsguard

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"kmsguard/sdk/go/kmsguard/pluginv1"
)

// exportLists are the lists of `aws iam get-account-authorization-details` and the resource type
// and name key of their entries.
var exportLists = []struct{ list, resourceType, nameKey string }{
	{"UserDetailList", "AWS::IAM::User", "UserName"},
	{"GroupDetailList", "AWS::IAM::Group", "GroupName"},
	{"RoleDetailList", "AWS::IAM::Role", "RoleName"},
	{"Policies", "AWS::IAM::Policy", "PolicyName"},
}

// ResourcesFromAuthorizationDetails splits the output of `aws iam get-account-authorization-details`
// (one export, or its pages one after another) into one Resource per user, group, role and managed
// policy. Each entry is sent exactly as the API wrote it (the plugin reads that shape: input format
// "aws.iam.authorization_details"), with its id, type, name, partition and account taken from its
// ARN, and its place in the file (source name and JSON pointer, page-relative) so that errors and
// findings point into the user's file. Group membership is not added to groups (the plugin reads
// it only from the normalized shape), so a group's finding does not list the member users that
// `kmsguard scan` shows. An error names the source and what is wrong with it.
func ResourcesFromAuthorizationDetails(r io.Reader, source string) ([]*pluginv1.Resource, error) {
	decoder := json.NewDecoder(r)
	var resources []*pluginv1.Resource
	for page := 0; ; page++ {
		var export map[string]json.RawMessage
		if err := decoder.Decode(&export); err == io.EOF && page > 0 {
			return resources, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: not an authorization-details export: %v", source, err)
		}
		for _, l := range exportLists {
			raw, ok := export[l.list]
			if !ok || string(raw) == "null" {
				continue
			}
			var entries []json.RawMessage
			if err := json.Unmarshal(raw, &entries); err != nil {
				return nil, fmt.Errorf("%s#/%s: not a list: %v", source, l.list, err)
			}
			for i, entry := range entries {
				var names map[string]interface{}
				if err := json.Unmarshal(entry, &names); err != nil {
					return nil, fmt.Errorf("%s#/%s/%d: not an object: %v", source, l.list, i, err)
				}
				arn, _ := names["Arn"].(string)
				name, _ := names[l.nameKey].(string)
				pointer := fmt.Sprintf("/%s/%d", l.list, i)
				id := arn
				if id == "" {
					id = source + "#" + pointer
				}
				partition, account := arnParts(arn)
				resources = append(resources, &pluginv1.Resource{
					Id: id, Type: l.resourceType, Provider: "aws", Partition: partition,
					Account: account, Name: name, DocumentJson: entry,
					Source: &pluginv1.SourceLocation{File: source, JsonPointer: pointer, ResourceId: id},
				})
			}
		}
	}
}

// arnParts returns the partition and account of arn:PARTITION:SERVICE:REGION:ACCOUNT:...; AWS
// managed policies (account "aws") have no account.
func arnParts(arn string) (partition, account string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return "", ""
	}
	if parts[4] == "aws" {
		return parts[1], ""
	}
	return parts[1], parts[4]
}
