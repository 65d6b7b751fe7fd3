"""Generated from proto/kmsguard/plugin (sdk/python/generate.sh)."""
