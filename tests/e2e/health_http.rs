//! health_http
