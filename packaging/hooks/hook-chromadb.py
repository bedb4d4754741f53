"""chromadb for the embedded (PersistentClient) store only.

Chroma picks its components by dotted name from `chromadb.config.Settings` and imports them with
importlib, so the ones the local client uses are hidden imports. Its server, CLI, tests and the
distributed (Kubernetes/gRPC) components are left out.
"""

from PyInstaller.utils.hooks import collect_data_files, copy_metadata

hiddenimports = [
    "chromadb.api.rust",
    "chromadb.telemetry.product.posthog",
    "chromadb.quota.simple_quota_enforcer",
    "chromadb.rate_limit.simple_rate_limit",
    "chromadb_rust_bindings",
]
excludedimports = ["chromadb.test", "chromadb.server", "chromadb.cli", "kubernetes"]
datas = collect_data_files("chromadb", excludes=["test/**", "**/__pycache__/**"])
datas += copy_metadata("chromadb")
