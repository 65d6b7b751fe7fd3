"""Generated from proto/kmsguard/plugin/v1/plugin.proto (sdk/python/generate.sh)."""
