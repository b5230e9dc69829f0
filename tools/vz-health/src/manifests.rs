//! Checks derived from rendered manifests (`--from-manifests`).
