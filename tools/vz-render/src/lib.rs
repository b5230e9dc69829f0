//! vz-render: Kubernetes manifests for an environment from one deploy spec.
pub mod model;
