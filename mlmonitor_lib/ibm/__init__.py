"""Adapters around the IBM SDKs (Watson OpenScale, AI Factsheets), imported lazily."""
