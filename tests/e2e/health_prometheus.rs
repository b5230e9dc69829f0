//! health_prometheus
