//! Prometheus query presets: Flagger's `request-success-rate` and
//! `request-duration` PromQL, per provider.
