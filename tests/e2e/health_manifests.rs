//! health_manifests
